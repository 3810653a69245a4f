"""Any small RDF graph as a page for people: the HTML view of ``/catalog``, the VoID file and the LDES feed.

The root resource comes first, then the resources it reaches (breadth first),
then the rest; each is a section with its properties, labelled from the graph or
the reused vocabularies (:mod:`iopgraph.views.labels`). Links to graph IRIs and to
this service's own URLs stay on the site; blank nodes are sections of the page.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from iopgraph.core.namespaces import PREFIXES, RDF_TYPE_IRI
from iopgraph.core.terms import object_of, subject_of
from iopgraph.views.describe import DEFINITION_PREDICATES, labels_from
from iopgraph.views.labels import label_for
from iopgraph.views.links import local_href
from iopgraph.views.resource_page import Value, literal_value

Term = ox.NamedNode | ox.BlankNode | ox.Literal
VCARD_FN = "http://www.w3.org/2006/vcard/ns#fn"
_HIDDEN = {PREFIXES["rdfs"] + "label", PREFIXES["dcterms"] + "title", PREFIXES["skos"] + "prefLabel"}


@dataclass
class Node:
    anchor: str
    iri: str | None
    label: str
    types: list[Value]
    description: str | None
    rows: list[tuple[str, list[Value]]] = field(default_factory=list)


def _anchor(term: ox.NamedNode | ox.BlankNode, root: str) -> str:
    """The id of a resource's section: its fragment when it is ``<root>#name``, else a stable hash."""
    if isinstance(term, ox.BlankNode):
        return "b-" + term.value
    page = root.split("#", 1)[0]
    if term.value.startswith(page + "#") and re.fullmatch(r"[A-Za-z][\w.-]*", term.value[len(page) + 1 :]):
        return term.value[len(page) + 1 :]
    return "r-" + hashlib.sha256(term.value.encode()).hexdigest()[:12]


def graph_nodes(
    triples: Iterable[ox.Triple], root: str, base_url: str, known: dict[str, str] | None = None
) -> list[Node]:
    """The sections of the page, root first; ``known`` are labels from the store."""
    triples = list(dict.fromkeys(triples))
    labels = (known or {}) | {
        subject_of(t).value: t.object.value
        for t in triples
        if t.predicate.value == VCARD_FN and isinstance(t.object, ox.Literal)
    }
    labels |= labels_from(triples)
    by_subject: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        by_subject[subject_of(t)].append(t)
    base = base_url.rstrip("/")

    def href(iri: str) -> str:
        if iri == base or iri.startswith(base + "/"):
            return iri[len(base) :] or "/"
        return local_href(iri)

    def value(term: Term) -> Value:
        if isinstance(term, ox.Literal):
            return literal_value(term)
        if isinstance(term, ox.BlankNode):
            if term not in by_subject:  # described nowhere on this page: nothing to link to
                return Value("(unnamed node)")
            return Value(
                label_for("_:" + term.value, labels) if term.value in labels else "(see below)",
                "#" + _anchor(term, root),
            )
        if term in by_subject:
            return Value(label_for(term.value, labels), "#" + _anchor(term, root), term.value)
        return Value(label_for(term.value, labels), href(term.value), term.value)

    order: list[ox.NamedNode | ox.BlankNode] = []
    start = ox.NamedNode(root)
    queue: deque[ox.NamedNode | ox.BlankNode] = deque([start] if start in by_subject else [])
    seen = set(queue)
    while queue:
        subject = queue.popleft()
        order.append(subject)
        for t in sorted(by_subject[subject], key=str):
            o = t.object
            if isinstance(o, ox.NamedNode | ox.BlankNode) and o in by_subject and o not in seen:
                seen.add(o)
                queue.append(o)
    order += sorted((s for s in by_subject if s not in seen), key=str)

    nodes = []
    for subject in order:
        own = by_subject[subject]
        rows: dict[str, list[Value]] = {}
        description = None
        for t in sorted(own, key=lambda t: (label_for(t.predicate.value, labels), str(t.object))):
            p = t.predicate.value
            if p in _HIDDEN or p == RDF_TYPE_IRI:
                continue
            if p in DEFINITION_PREDICATES and description is None and isinstance(t.object, ox.Literal):
                description = t.object.value
                continue
            rows.setdefault(label_for(p, labels), []).append(value(object_of(t)))
        iri = subject.value if isinstance(subject, ox.NamedNode) else None
        label = label_for(iri, labels) if iri else "(unnamed node)"
        types = [value(object_of(t)) for t in own if t.predicate.value == RDF_TYPE_IRI]
        nodes.append(Node(_anchor(subject, root), iri, label, types, description, list(rows.items())))
    return nodes
