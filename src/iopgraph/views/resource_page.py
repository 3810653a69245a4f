"""The page model of a resource: what its HTML page shows, built from its :class:`Description`.

Pure data for ``templates/resource.html``: label, types, definition, report
sections and quotes, the outgoing links grouped by property, and the incoming
links grouped under headings a reader understands ("Mitigations that address
this challenge").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from iopgraph.core.namespaces import ONTOLOGY, PREFIXES, RDF_TYPE_IRI, XSD
from iopgraph.core.terms import object_of, subject_of
from iopgraph.store.backend import Backend
from iopgraph.views.describe import DEFINITION_PREDICATES, Description, labels_from, summaries
from iopgraph.views.labels import format_number, label_for
from iopgraph.views.links import local_href

IOP = ONTOLOGY
SECTION = IOP + "section"
QUOTE = IOP + "quote"
NUMERIC = {
    XSD + t
    for t in ("decimal", "integer", "double", "float", "nonNegativeInteger", "positiveInteger", "int", "long")
}

#: Headings for incoming links, by predicate: "<subject> <predicate> <this>" read from this side.
INCOMING_HEADINGS = {
    IOP + "addresses": "Mitigations and good practices that address this",
    PREFIXES["skos"] + "broader": "Narrower",
    IOP + "describes": "Statistics about this",
    IOP + "illustratedBy": "Practices this use case illustrates",
    IOP + "backedBy": "Practices this recommendation backs",
    IOP + "participationIn": "Participations",
    IOP + "participant": "Participates in",
    IOP + "section": "Facts taken from this section",
    IOP + "describedInBox": "Practices described in this box",
    IOP + "footnote": "Facts citing this footnote",
    IOP + "cites": "Footnotes citing this",
    PREFIXES["skos"] + "inScheme": "Concepts in this scheme",
    IOP + "concernsElement": "Challenges concerning this element",
    IOP + "observedIn": "Challenges observed in this use case",
    IOP + "stakeholder": "Practices involving this stakeholder",
    IOP + "usesEnabler": "Used by",
    IOP + "relevantTo": "Relevant enablers",
    IOP + "sourcePublication": "Statistics from this publication",
    PREFIXES["dcterms"] + "isPartOf": "Parts",
}
_SHOWN_ELSEWHERE = {RDF_TYPE_IRI, SECTION, QUOTE}


@dataclass(frozen=True)
class Value:
    """One value on a page: a link (``href`` set) or a literal."""

    text: str
    href: str | None = None
    iri: str | None = None
    language: str | None = None
    datatype: str | None = None


@dataclass
class Row:
    predicate: str
    heading: str
    values: list[Value] = field(default_factory=list)


@dataclass
class ResourcePage:
    iri: str
    label: str
    types: list[Value]
    definition: str | None
    sections: list[Value]
    quotes: list[str]
    rows: list[Row]
    incoming: list[Row]
    incoming_truncated: bool
    type_iris: list[str] = field(default_factory=list)


#: Datatypes whose values read well without naming the datatype.
_PLAIN_DATATYPES = {XSD + "string", PREFIXES["rdf"] + "langString", XSD + "gYear", XSD + "boolean", *NUMERIC}


def literal_value(term: ox.Literal) -> Value:
    """A literal for people: numbers with thousands separators, the datatype named only when it helps."""
    dt = term.datatype.value
    text = format_number(term.value) if dt in NUMERIC else term.value
    return Value(text, language=term.language, datatype=None if dt in _PLAIN_DATATYPES else label_for(dt, {}))


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal, labels: dict[str, str]) -> Value:
    if isinstance(term, ox.Literal):
        return literal_value(term)
    if isinstance(term, ox.BlankNode):
        return Value(f"_:{term.value}")
    return Value(label_for(term.value, labels), local_href(term.value), term.value)


def _best_literal(triples: list[ox.Triple], predicates: tuple[str, ...]) -> str | None:
    for predicate in predicates:
        found = [
            t.object for t in triples if t.predicate.value == predicate and isinstance(t.object, ox.Literal)
        ]
        found.sort(key=lambda lit: (lit.language not in ("en", None), lit.value))
        if found:
            return found[0].value
    return None


async def predicate_labels(backend: Backend, predicates: set[str]) -> dict[str, str]:
    triples = await summaries(backend, [ox.NamedNode(p) for p in predicates])
    return labels_from(triples)


async def resource_page(backend: Backend, d: Description) -> ResourcePage:
    """The page model of ``d``; property and class labels come from the ontology in the store."""
    iri = d.iri.value
    own = [t for t in d.outgoing if t.subject == d.iri]
    type_iris = {object_of(t).value for t in own if t.predicate.value == RDF_TYPE_IRI}
    wanted = {t.predicate.value for t in d.outgoing} | {t.predicate.value for t in d.incoming} | type_iris
    labels = labels_from(d.triples) | await predicate_labels(backend, wanted)

    label = label_for(iri, labels)
    definition = _best_literal(own, DEFINITION_PREDICATES)
    rows: dict[str, Row] = {}
    for t in sorted(own, key=lambda t: (label_for(t.predicate.value, labels), str(t.object))):
        p = t.predicate.value
        if p in _SHOWN_ELSEWHERE:
            continue
        if isinstance(t.object, ox.Literal) and t.object.value in (label, definition):
            continue  # already the page's heading or lead paragraph
        row = rows.setdefault(p, Row(p, label_for(p, labels)))
        row.values.append(_value(object_of(t), labels))
    incoming: dict[str, Row] = {}
    for t in d.incoming:
        p = t.predicate.value
        heading = INCOMING_HEADINGS.get(p) or f"Linked here as “{label_for(p, labels)}”"
        row = incoming.setdefault(p, Row(p, heading))
        row.values.append(_value(subject_of(t), labels))
    for row in incoming.values():
        row.values.sort(key=lambda v: (v.text.lower(), v.iri or v.text))
    return ResourcePage(
        iri=iri,
        label=label,
        types=sorted(
            (_value(ox.NamedNode(t), labels) for t in type_iris), key=lambda v: (v.text, v.iri or "")
        ),
        definition=definition,
        sections=[_value(object_of(t), labels) for t in own if t.predicate.value == SECTION],
        quotes=sorted(object_of(t).value for t in own if t.predicate.value == QUOTE),
        rows=list(rows.values()),
        incoming=sorted(incoming.values(), key=lambda r: r.heading),
        incoming_truncated=d.incoming_truncated,
        type_iris=sorted(type_iris),
    )
