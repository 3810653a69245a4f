"""The ontology as documentation (``/ontology`` in a browser), the way pyLODE and Widoco pages read.

Built from the ontology triples in the store: the ontology's metadata, one
entry per class and per property with an anchor named after the term's local
name (``/ontology#DataSpace``, the target of every "Type:" link on the site),
its definition, super- and subclasses, domain and range, inverse and its
alignments to reused vocabularies; and the model diagram of ``docs/model.md``
(its mermaid class diagram, rendered here as HTML, so no script or CDN is needed).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from iopgraph.core.namespaces import ONTOLOGY, PREFIXES, RDF_TYPE_IRI
from iopgraph.core.terms import object_of, subject_of
from iopgraph.views.describe import DEFINITION_PREDICATES, Description, labels_from
from iopgraph.views.labels import label_for, prefixed_name
from iopgraph.views.links import local_href
from iopgraph.views.resource_page import Value, literal_value

RDFS, OWL, SKOS = PREFIXES["rdfs"], PREFIXES["owl"], PREFIXES["skos"]
KINDS = {
    OWL + "Class": "class",
    OWL + "ObjectProperty": "object property",
    OWL + "DatatypeProperty": "datatype property",
    PREFIXES["rdf"] + "Property": "property",
}
ALIGNMENTS = (
    OWL + "equivalentClass",
    OWL + "equivalentProperty",
    SKOS + "exactMatch",
    SKOS + "closeMatch",
    SKOS + "broadMatch",
    SKOS + "narrowMatch",
    SKOS + "relatedMatch",
)
#: Ontology metadata shown at the top, in this order.
METADATA = (
    PREFIXES["dcterms"] + "title",
    OWL + "versionInfo",
    OWL + "versionIRI",
    PREFIXES["vann"] + "preferredNamespacePrefix",
    PREFIXES["vann"] + "preferredNamespaceUri",
    PREFIXES["dcterms"] + "license",
    PREFIXES["dcterms"] + "source",
)


@dataclass
class Term:
    """One class or property of the ontology."""

    iri: str
    anchor: str
    label: str
    kind: str
    definition: str | None
    facts: list[tuple[str, list[Value]]] = field(default_factory=list)


@dataclass
class Edge:
    source: str
    target: str
    label: str
    kind: str  # "subclass" | "relation"


@dataclass
class OntologyPage:
    iri: str
    title: str
    description: str | None
    metadata: list[tuple[str, list[Value]]]
    classes: list[Term]
    object_properties: list[Term]
    datatype_properties: list[Term]
    diagram: list[Edge]
    anchors: set[str]


def anchor(iri: str) -> str:
    """The anchor of an ontology term on the page: its local name."""
    return iri[len(ONTOLOGY) :] if iri.startswith(ONTOLOGY) else ""


def _link(iri: str, labels: dict[str, str]) -> Value:
    if iri.startswith(ONTOLOGY) and anchor(iri):
        return Value(label_for(iri, labels), "#" + anchor(iri), iri)
    label, name = label_for(iri, labels), prefixed_name(iri)
    return Value(f"{label} ({name})" if name and name != label else label, local_href(iri), iri)


def ontology_page(d: Description, model_doc: Path | None = None) -> OntologyPage:
    """The documentation model of the ontology in ``d`` (from :func:`describe_ontology`)."""
    labels = labels_from(d.triples)
    props: dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]]] = defaultdict(
        lambda: defaultdict(list)
    )
    incoming: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for t in d.outgoing:
        props[subject_of(t).value][t.predicate.value].append(object_of(t))
        if isinstance(t.object, ox.NamedNode):
            incoming[t.object.value][t.predicate.value].append(subject_of(t).value)

    def iris(subject: str, predicate: str) -> list[str]:
        return sorted({o.value for o in props[subject][predicate] if isinstance(o, ox.NamedNode)})

    def links(values: list[str]) -> list[Value]:
        return sorted((_link(v, labels) for v in set(values)), key=lambda v: (v.text.lower(), v.iri or ""))

    def definition(subject: str) -> str | None:
        for p in DEFINITION_PREDICATES:
            found = sorted(
                props[subject][p], key=lambda o: (getattr(o, "language", None) not in ("en", None), o.value)
            )
            if found:
                return found[0].value
        return None

    terms: dict[str, list[Term]] = {
        "class": [],
        "object property": [],
        "datatype property": [],
        "property": [],
    }
    for subject in sorted(props):
        if not subject.startswith(ONTOLOGY) or not anchor(subject):
            continue
        kinds = [KINDS[t] for t in iris(subject, RDF_TYPE_IRI) if t in KINDS]
        if not kinds:
            continue
        kind = kinds[0]
        facts: list[tuple[str, list[Value]]] = []
        if kind == "class":
            facts += [
                ("Subclass of", links(iris(subject, RDFS + "subClassOf"))),
                ("Superclass of", links(incoming[subject][RDFS + "subClassOf"])),
                ("Disjoint with", links(iris(subject, OWL + "disjointWith"))),
                ("In the domain of", links(incoming[subject][RDFS + "domain"])),
                ("In the range of", links(incoming[subject][RDFS + "range"])),
            ]
        else:
            facts += [
                ("Domain", links(iris(subject, RDFS + "domain"))),
                ("Range", links(iris(subject, RDFS + "range"))),
                ("Subproperty of", links(iris(subject, RDFS + "subPropertyOf"))),
                ("Superproperty of", links(incoming[subject][RDFS + "subPropertyOf"])),
                (
                    "Inverse of",
                    links(iris(subject, OWL + "inverseOf") + incoming[subject][OWL + "inverseOf"]),
                ),
            ]
        facts.append(("Aligned with", links([v for p in ALIGNMENTS for v in iris(subject, p)])))
        terms[kind].append(
            Term(
                subject,
                anchor(subject),
                label_for(subject, labels),
                kind,
                definition(subject),
                [(heading, values) for heading, values in facts if values],
            )
        )
    for group in terms.values():
        group.sort(key=lambda term: term.label.lower())

    metadata = []
    for p in METADATA:
        values = [
            literal_value(o) if isinstance(o, ox.Literal) else _link(o.value, labels)
            for o in props[ONTOLOGY][p]
        ]
        if values:
            metadata.append((label_for(p, labels), values))
    classes = terms["class"]
    object_properties = terms["object property"] + terms["property"]
    datatype_properties = terms["datatype property"]
    anchors = {t.anchor for t in [*classes, *object_properties, *datatype_properties]}
    return OntologyPage(
        iri=ONTOLOGY,
        title=labels.get(ONTOLOGY, "iopgraph ontology"),
        description=definition(ONTOLOGY),
        metadata=metadata,
        classes=classes,
        object_properties=object_properties,
        datatype_properties=datatype_properties,
        diagram=model_diagram(model_doc) if model_doc else [],
        anchors=anchors,
    )


_MERMAID = re.compile(r"```mermaid\n(.*?)```", re.S)
_SUBCLASS = re.compile(r"^\s*(\w+)\s*<\|--\s*(\w+)\s*$")
_RELATION = re.compile(r"^\s*(\w+)\s*-->\s*(\w+)\s*:\s*(.+?)\s*$")


def model_diagram(path: Path) -> list[Edge]:
    """The edges of the mermaid class diagram in ``docs/model.md`` (empty when the file is absent)."""
    if not path.is_file():
        return []
    found = _MERMAID.search(path.read_text(encoding="utf-8"))
    if not found:
        return []
    edges = []
    for line in found.group(1).splitlines():
        if m := _SUBCLASS.match(line):
            edges.append(Edge(m.group(2), m.group(1), "subclass of", "subclass"))
        elif m := _RELATION.match(line):
            edges.append(Edge(m.group(1), m.group(2), m.group(3), "relation"))
    return edges
