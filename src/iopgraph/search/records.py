"""What the search index holds for each resource, read from the store.

One :class:`Record` per resource (an IRI subject with a label or a text): its
label, alternative labels, definitions/descriptions and verbatim quotes (the
four weighted fields), its types, the report sections it cites (``iop:section``)
and its facet values:

* ``type``: each ``rdf:type`` and its superclasses in the ontology (``Mitigation``, ``Enabler``, ...);
* ``family``: the challenge family it belongs to, addresses or describes (via ``skos:broader*``);
* ``use-case``: the use cases (``iop:isUseCase true``) it links to, or takes part in;
* ``evidence-basis``: ``iop:evidenceBasis``;
* ``chapter``: the top-level report chapter of the sections it cites (or of itself, for a section or box).

    records = await read_records(backend)                 # every resource
    records = await read_records(backend, [iri1, iri2])   # only these (after a write)

The embedded store is read with quad patterns (each predicate scanned once for a
full build; per-subject lookups after a write); a remote store is copied into
memory first. Provenance activities, agents and releases are not indexed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from iopgraph.core.namespaces import ID, ONTOLOGY, PREFIXES, REPORT
from iopgraph.core.terms import object_of
from iopgraph.store.backend import Backend
from iopgraph.views.labels import label_for

SKOS, RDFS, DCT, RDF = PREFIXES["skos"], PREFIXES["rdfs"], PREFIXES["dcterms"], PREFIXES["rdf"]
IOP = ONTOLOGY

#: Field → predicates, in order of precedence (the first label predicate found is the resource's label).
LABEL = (SKOS + "prefLabel", RDFS + "label", DCT + "title", PREFIXES["foaf"] + "name")
ALT = (SKOS + "altLabel", DCT + "alternative", SKOS + "notation", DCT + "identifier", SKOS + "hiddenLabel")
DEFINITION = (
    SKOS + "definition",
    DCT + "description",
    RDFS + "comment",
    SKOS + "scopeNote",
    DCT + "abstract",
    IOP + "technicalDescription",
    IOP + "measure",
    IOP + "population",
    DCT + "bibliographicCitation",
)
QUOTE = (IOP + "quote",)
FIELDS = {"label": LABEL, "alt": ALT, "definition": DEFINITION, "quote": QUOTE}
_FIELD_OF = {p: name for name, preds in FIELDS.items() for p in preds}

#: Subjects under these IRIs are the service's own records (writes, agents, releases), not content.
#: Provenance activities are minted as ``activity/write-…`` (stewardship/provenance.py); the report's own
#: activities (consultations, dated events) live under ``activity/`` too and are content.
SYSTEM_PREFIXES = (ID + "activity/write-", ID + "agent/", ID + "release/")
FACETS = ("type", "family", "use-case", "evidence-basis", "chapter")
FACET_TITLES = {
    "type": "Type",
    "family": "Challenge family",
    "use-case": "Use case",
    "evidence-basis": "Evidence basis",
    "chapter": "Report chapter",
}


@dataclass
class Record:
    """One resource as the index sees it."""

    iri: str
    label: str = ""
    label_predicate: str = ""
    alt: list[str] = field(default_factory=list)
    definition: list[str] = field(default_factory=list)
    quote: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    kind: str = ""  # the label of its most specific type, for display
    sections: list[tuple[str, str]] = field(default_factory=list)  # (IRI, label) in report order
    facets: list[tuple[str, str, str]] = field(default_factory=list)  # (facet, value key, value label)

    @property
    def has_text(self) -> bool:
        return bool(self.label or self.alt or self.definition or self.quote)


def facet_key(iri: str, kind: str) -> str:
    """The short value of a facet (``lack-of-trust``, ``Mitigation``, ``skos:Concept``) used in URLs."""
    if kind == "type":
        if iri.startswith(IOP):
            return iri[len(IOP) :]
        for prefix, ns in PREFIXES.items():
            if iri.startswith(ns) and iri[len(ns) :]:
                return f"{prefix}:{iri[len(ns) :]}"
        return iri
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _is_system(iri: str) -> bool:
    return iri.startswith(SYSTEM_PREFIXES)


async def read_records(backend: Backend, subjects: list[str] | None = None) -> list[Record]:
    """The records of ``subjects`` (all resources when None); subjects without text get none.

    The embedded store is read in place (quad patterns, in a worker thread); a remote store is
    copied into memory first.
    """
    return await backend.run_on_store(lambda store: records_from_store(store, subjects))


class _Graph:
    """Lookups on the union of the store's graphs, by IRI string."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def objects(
        self, subject: str | None, predicate: str
    ) -> list[tuple[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        s = ox.NamedNode(subject) if subject else None
        return [
            (q.subject.value, object_of(q))
            for q in self.store.quads_for_pattern(s, ox.NamedNode(predicate), None)
            if isinstance(q.subject, ox.NamedNode)
        ]

    def pairs(self, subjects: list[str] | None, predicate: str) -> set[tuple[str, str]]:
        """(subject, object IRI) of ``predicate``, for ``subjects`` (all subjects when None)."""
        found: set[tuple[str, str]] = set()
        for subject in subjects if subjects is not None else [None]:
            found.update(
                (s, o.value) for s, o in self.objects(subject, predicate) if isinstance(o, ox.NamedNode)
            )
        return found

    def subjects(self, predicate: str | None, obj: ox.NamedNode | ox.Literal) -> set[str]:
        p = ox.NamedNode(predicate) if predicate else None
        return {
            q.subject.value
            for q in self.store.quads_for_pattern(None, p, obj)
            if isinstance(q.subject, ox.NamedNode)
        }

    def typed(self, *classes: str) -> set[str]:
        return {s for c in classes for s in self.subjects(RDF + "type", ox.NamedNode(c))}


def _english(term: object) -> bool:
    return isinstance(term, ox.Literal) and term.language in (None, "en")


def records_from_store(store: ox.Store, subjects: list[str] | None = None) -> list[Record]:
    """:func:`read_records` on an Oxigraph store (blocking)."""
    g = _Graph(store)
    records: dict[str, Record] = {}
    precedence: dict[str, int] = {}
    for predicate, name in _FIELD_OF.items():
        for subject in subjects if subjects is not None else [None]:
            for iri, term in g.objects(subject, predicate):
                if not _english(term) or _is_system(iri):
                    continue
                value = " ".join(term.value.split())
                if not value:
                    continue
                record = records.get(iri) or records.setdefault(iri, Record(iri))
                if name == "label":
                    rank = LABEL.index(predicate)
                    if not record.label or (rank, value) < (precedence[iri], record.label):
                        if record.label and record.label != value:
                            record.alt.append(record.label)
                        record.label, record.label_predicate, precedence[iri] = value, predicate, rank
                    elif value != record.label:
                        record.alt.append(value)
                else:
                    getattr(record, name).append(value)
    if not records:
        return []
    chosen = sorted(records)
    wanted = chosen if subjects is not None else None  # None: scan each predicate once for all records
    for record in records.values():
        record.alt = sorted(set(record.alt) - {record.label})
        record.definition = sorted(set(record.definition))
        record.quote = sorted(set(record.quote))

    links: dict[str, set[tuple[str, str]]] = defaultdict(set)  # facet targets by record
    supers: dict[str, set[str]] = {}

    def superclasses(cls: str, seen: frozenset[str] = frozenset()) -> set[str]:
        """``cls`` and its superclasses in the store's ontology (``rdfs:subClassOf*``)."""
        if cls not in supers:
            found = {cls}
            for _, up in g.pairs([cls], RDFS + "subClassOf"):
                if up not in seen and up != cls:
                    found |= superclasses(up, seen | {cls})
            supers[cls] = found
        return supers[cls]

    for iri, t in g.pairs(wanted, RDF + "type"):
        if iri in records:
            records[iri].types.append(t)
            links[iri].update(
                ("type", c) for c in superclasses(t)
            )  # type=Enabler finds every kind of enabler

    # Report sections cited (or, for a section or box, the section it is part of), in reading order;
    # the chapter is the section's ancestor just under the report.
    section_like = g.typed(IOP + "ReportSection", IOP + "Box")
    cited: dict[str, set[str]] = defaultdict(set)
    for iri, s in g.pairs(wanted, IOP + "section"):
        if iri not in section_like:  # a section or box is placed by dcterms:isPartOf instead
            cited[iri].add(s)
    for iri, s in g.pairs(wanted, DCT + "isPartOf"):
        if iri in section_like and s in section_like:
            cited[iri].add(s)
    parents: dict[str, set[str]] = {}

    def parent(node: str) -> set[str]:
        if node not in parents:
            parents[node] = {o for _, o in g.pairs([node], DCT + "isPartOf")}
        return parents[node]

    chapters: dict[str, set[str]] = {}

    def chapter(node: str) -> set[str]:
        if node not in chapters:
            chapters[node] = set()
            up = parent(node)
            chapters[node] = {node} if REPORT in up else {c for p in up if p != node for c in chapter(p)}
        return chapters[node]

    order: dict[str, float] = {}
    for iri in {s for ss in cited.values() for s in ss}:
        found = [o for _, o in g.objects(iri, IOP + "order") if isinstance(o, ox.Literal)]
        try:
            order[iri] = float(found[0].value) if found else float("inf")
        except ValueError:
            order[iri] = float("inf")
    for iri in records:
        for c in {c for s in cited.get(iri, ()) for c in chapter(s)} | (
            chapter(iri) if iri in section_like else set()
        ):
            links[iri].add(("chapter", c))

    # Challenges of each record (itself, what it addresses or describes, the challenges observed in it,
    # the challenges of the mitigations a recommendation backs), then their families along skos:broader.
    challenge_like = g.typed(
        *(
            IOP + k
            for k in ("ChallengeFamily", "ChallengeCluster", "SubChallenge", "ChallengeFactor", "Challenge")
        )
    )
    families = g.typed(IOP + "ChallengeFamily")
    challenges: dict[str, set[str]] = defaultdict(set)
    for predicate in (IOP + "addresses", IOP + "describes"):
        for iri, c in g.pairs(wanted, predicate):
            challenges[iri].add(c)
    for iri in records:
        if iri in challenge_like:
            challenges[iri].add(iri)
    observed = (
        [(c, u) for c, u in g.pairs(None, IOP + "observedIn")]
        if subjects is None
        else [(c, u) for u in chosen for c in g.subjects(IOP + "observedIn", ox.NamedNode(u))]
    )
    for c, iri in observed:
        challenges[iri].add(c)
    backed = (
        g.pairs(None, IOP + "backedBy")
        if subjects is None
        else {(m, r) for r in chosen for m in g.subjects(IOP + "backedBy", ox.NamedNode(r))}
    )
    for m, iri in backed:
        challenges[iri].update(c for _, c in g.pairs([m], IOP + "addresses"))
    family_of: dict[str, set[str]] = {}

    def family(node: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if node not in family_of:
            found = {node} if node in families else set()
            for _, up in g.pairs([node], SKOS + "broader"):
                if up not in seen:
                    found |= family(up, seen | {node})
            family_of[node] = found
        return family_of[node]

    for iri, cs in challenges.items():
        if iri in records:
            for c in cs:
                if c in challenge_like:
                    links[iri].update(("family", f) for f in family(c))

    true = ox.Literal("true", datatype=ox.NamedNode(PREFIXES["xsd"] + "boolean"))
    for use_case in g.subjects(IOP + "isUseCase", true):
        members = {use_case} | g.subjects(None, ox.NamedNode(use_case))
        for x in g.subjects(IOP + "participationIn", ox.NamedNode(use_case)):
            members |= {o for _, o in g.pairs([x], IOP + "participant")}
        for iri in members & records.keys():
            links[iri].add(("use-case", use_case))
    for iri, basis in g.pairs(wanted, IOP + "evidenceBasis"):
        if iri in records:
            links[iri].add(("evidence-basis", basis))

    # Labels of the sections and facet values (which need not be among the records read).
    targets = {t for iri, ls in links.items() for _, t in ls} | {s for ss in cited.values() for s in ss}
    labels = _labels(g, targets, records)
    shown = {t: labels.get(t) or label_for(t, labels) for t in targets}
    keys = {(name, t): facet_key(t, name) for ls in links.values() for name, t in ls}
    for iri, ss in cited.items():
        if iri in records:
            records[iri].sections = [
                (s, shown[s]) for s in sorted(ss, key=lambda s: (order.get(s, float("inf")), s))
            ]
    for iri, found_links in links.items():
        records[iri].facets = sorted({(name, keys[name, t], shown[t]) for name, t in found_links})
    kinds: dict[tuple[str, ...], str] = {}
    for record in records.values():
        record.types.sort()
        signature = tuple(record.types)
        if signature not in kinds:
            kinds[signature] = _kind(record.types, labels)
        record.kind = kinds[signature]
    return [records[iri] for iri in chosen if records[iri].has_text]


def _labels(g: _Graph, iris: set[str], records: dict[str, Record]) -> dict[str, str]:
    found: dict[str, str] = {}
    for iri in iris:
        if iri in records and records[iri].label:
            found[iri] = records[iri].label
            continue
        for predicate in LABEL:
            values = sorted(o.value for _, o in g.objects(iri, predicate) if _english(o))
            if values:
                found[iri] = values[0]
                break
    return found


#: Types shown in preference to the others a resource also has (the more specific or the more telling).
_GENERIC = {
    SKOS + "Concept",
    PREFIXES["owl"] + "NamedIndividual",
    IOP + "Challenge",
    DCT + "BibliographicResource",
    PREFIXES["org"] + "Organization",
}


def _kind(types: list[str], labels: dict[str, str]) -> str:
    """The labels of the resource's telling types (``standard, evaluation framework or KPI set``)."""
    specific = [t for t in types if t not in _GENERIC] or types
    return ", ".join(sorted({labels.get(t) or label_for(t, labels) for t in specific})[:3])


def as_text(values: list[str]) -> str:
    """A multi-valued field as one FTS5 column (values apart, so a phrase never spans two)."""
    return "\n\u2029\n".join(values)
