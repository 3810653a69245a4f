"""Describing one resource: its outgoing triples, what its links point to, and who links to it.

    description = await describe(backend, ox.NamedNode(iri))
    description.triples      # all triples of the representation (all held by the store)

The description holds, all as triples the store really holds:
- every triple with the resource as subject (and the blank nodes it reaches);
- the labels and types of every resource it links to and that links to it;
- the incoming links (``?s ?p <resource>``), capped at :data:`MAX_INCOMING`, so
  that a challenge shows the mitigations that address it, a section the facts
  that cite it, a use case the practices it illustrates.

Reads start from bound terms (never from request text): the store's lookups
:meth:`~iopgraph.store.backend.Backend.triples_of` and ``triples_to``, index
lookups on the embedded store, ``VALUES`` batches on a remote one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

import pyoxigraph as ox

from iopgraph.core.namespaces import ONTOLOGY, PREFIXES, RDF_TYPE_IRI
from iopgraph.core.terms import subject_of
from iopgraph.store.backend import Backend

LABEL_PREDICATES = (
    PREFIXES["skos"] + "prefLabel",
    PREFIXES["rdfs"] + "label",
    PREFIXES["dcterms"] + "title",
    PREFIXES["foaf"] + "name",
)
_LABEL_ORDER = {p: i for i, p in enumerate(LABEL_PREDICATES)}
DEFINITION_PREDICATES = (
    PREFIXES["skos"] + "definition",
    PREFIXES["dcterms"] + "description",
    PREFIXES["rdfs"] + "comment",
)
MAX_INCOMING = 1000
_BATCH = 400
#: What :func:`summaries` reads of each linked IRI: its types and labels.
SUMMARY_PREDICATES = (RDF_TYPE_IRI, *LABEL_PREDICATES)

Subject = ox.NamedNode | ox.BlankNode


@dataclass
class Description:
    """A resource and the triples that describe it."""

    iri: ox.NamedNode
    outgoing: list[ox.Triple]
    incoming: list[ox.Triple]
    summaries: list[ox.Triple]
    incoming_truncated: bool = False
    triples: list[ox.Triple] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.triples:
            self.triples = list(dict.fromkeys([*self.outgoing, *self.incoming, *self.summaries]))

    @property
    def exists(self) -> bool:
        return bool(self.outgoing or self.incoming)


def values_block(terms: Iterable[ox.NamedNode]) -> str:
    """A VALUES body of IRIs; pyoxigraph's ``str()`` writes each as a checked ``<iri>``."""
    return " ".join(str(t) for t in terms)


def chunks(items: list[ox.NamedNode], size: int = _BATCH) -> Iterable[list[ox.NamedNode]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def summaries(
    backend: Backend, terms: Iterable[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]
) -> list[ox.Triple]:
    """Type and label triples of every IRI in ``terms``."""
    iris = [t for t in dict.fromkeys(terms) if isinstance(t, ox.NamedNode)]
    return await backend.triples_of(iris, SUMMARY_PREDICATES) if iris else []


async def facts(backend: Backend, subjects: list[ox.NamedNode], predicates: Iterable[str]) -> list[ox.Triple]:
    """The triples of ``subjects`` with one of ``predicates``."""
    return await backend.triples_of(subjects, list(predicates)) if subjects else []


async def outgoing(backend: Backend, subjects: list[ox.NamedNode], bnode_depth: int = 3) -> list[ox.Triple]:
    """Every triple of ``subjects``, plus those of the blank nodes they reach."""
    return await with_blank_nodes(backend, await own_triples(backend, subjects), bnode_depth)


async def own_triples(backend: Backend, subjects: list[ox.NamedNode]) -> list[ox.Triple]:
    """Every triple of ``subjects``, subject by subject in the order given."""
    return await backend.triples_of(subjects) if subjects else []


async def with_blank_nodes(
    backend: Backend, triples: list[ox.Triple], bnode_depth: int = 3
) -> list[ox.Triple]:
    """``triples`` followed by those of the blank nodes they reach (up to ``bnode_depth`` hops)."""
    triples = list(triples)
    frontier = {o for t in triples if isinstance(o := t.object, ox.BlankNode)}
    seen: set[ox.BlankNode] = set()
    for _ in range(bnode_depth):
        if not frontier:
            break
        seen |= frontier
        more: list[ox.Triple] = []
        for bnode in frontier:
            more += await backend.construct("CONSTRUCT { ?b ?p ?o } WHERE { ?b ?p ?o }", {"b": bnode})
        triples += more
        frontier = {t.object for t in more if isinstance(t.object, ox.BlankNode) and t.object not in seen}
    return triples


async def describe(backend: Backend, iri: ox.NamedNode) -> Description:
    """The description of ``iri`` (``exists`` is False when the graph does not mention it)."""
    out = await outgoing(backend, [iri])
    rows = await backend.select(
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} ORDER BY ?p ?s LIMIT {MAX_INCOMING + 1}", {"o": iri}
    )
    truncated = len(rows) > MAX_INCOMING
    # The pattern binds ?s to an IRI or blank node, ?p to an IRI.
    incoming = [
        ox.Triple(cast(Subject, r["s"]), cast(ox.NamedNode, r["p"]), iri) for r in rows[:MAX_INCOMING]
    ]
    linked = [t.object for t in out if t.predicate.value != RDF_TYPE_IRI] + [t.subject for t in incoming]
    summary = [t for t in await summaries(backend, linked) if t.subject != iri]
    return Description(iri, out, incoming, summary, truncated)


async def describe_ontology(backend: Backend) -> Description:
    """The ontology document: every triple whose subject is in the ``iop:`` namespace."""
    triples = await backend.construct(
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), " + f'"{ONTOLOGY}"' + ")) }"
    )
    linked = [t.object for t in triples if t.predicate.value != RDF_TYPE_IRI]
    summary = [t for t in await summaries(backend, linked) if not subject_of(t).value.startswith(ONTOLOGY)]
    return Description(ox.NamedNode(ONTOLOGY), triples, [], summary)


async def describe_graph(backend: Backend, graph: ox.NamedNode) -> Description:
    """A named graph of the store (one source file) as a document."""
    quads = await backend.quads(graph.value)
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    return Description(graph, triples, [], [])


def labels_from(triples: Iterable[ox.Triple]) -> dict[str, str]:
    """The best label per subject: English first, then untagged, then any; by LABEL_PREDICATES order."""
    ranked: dict[str, tuple[int, int, str]] = {}
    for t in triples:
        order = _LABEL_ORDER.get(t.predicate.value)
        obj = t.object
        if order is None or not isinstance(obj, ox.Literal):
            continue
        lang = obj.language
        lang_rank = 0 if lang == "en" else 1 if not lang else 2
        rank = (lang_rank, order, obj.value)
        key = subject_of(t).value
        if key not in ranked or rank < ranked[key]:
            ranked[key] = rank
    return {k: v[2] for k, v in ranked.items()}
