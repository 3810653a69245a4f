"""Forms generated from the shipped SHACL shapes: one field per property path a kind's shapes constrain.

    model = FormModels.from_root(settings.root)
    form = model.form("initiative")          # every node shape targeting iop:Initiative, merged
    triples, errors = form.to_triples(iri, values)   # form values -> RDF (errors: unreadable inputs)
    values = form.values_of(iri, triples)    # the store's triples -> form values (for /edit?iri=)

Nothing is written per class: the fields come from ``sh:property`` (and the members of
``sh:or``) of every node shape whose ``sh:targetClass`` is the kind's class. A field's label
is the property's ``rdfs:label`` in the ontology; ``sh:datatype`` picks the input,
``sh:class`` a pick list of resources of that class, ``sh:node`` with a
``skos:inScheme`` ``sh:hasValue`` a pick list of that scheme's concepts, ``sh:in`` a
select; ``sh:minCount`` ≥ 1 makes it required and ``sh:maxCount`` 1 single-valued.
The type field offers the class and its subclasses in the ontology.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDFS, SH, SKOS
from rdflib.term import Identifier

from iopgraph.core.namespaces import ONTOLOGY, PREFIXES, RDF_TYPE_IRI, XSD, contrib_graph
from iopgraph.core.rdfio import parse_file, quads_to_graph
from iopgraph.core.sources import graph_sources, shape_sources
from iopgraph.core.terms import subject_of

RDF_LANGSTRING = PREFIXES["rdf"] + "langString"
LABEL = PREFIXES["rdfs"] + "label"
DESCRIPTION = PREFIXES["dcterms"] + "description"
ORG = PREFIXES["org"]

#: The kinds the workbench creates, and the class each kind's resources have.
KINDS: dict[str, str] = {
    "initiative": ONTOLOGY + "Initiative",
    "organisation": ORG + "Organization",
    "participation": ONTOLOGY + "Participation",
    "mitigation": ONTOLOGY + "Mitigation",
    "statistic": ONTOLOGY + "Statistic",
}
#: Paths shown first and last (the rest: required first, then by label).
FIRST = (RDF_TYPE_IRI, LABEL, DESCRIPTION)
LAST = (ONTOLOGY + "section", ONTOLOGY + "quote", PREFIXES["dcterms"] + "source")
NUMERIC = {XSD + "decimal", XSD + "integer", XSD + "double", XSD + "float", XSD + "nonNegativeInteger"}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def curie(iri: str) -> str:
    """``iop:city`` for ``https://w3id.org/iopgraph/ontology#city`` (the prefixes of the reports)."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and iri != namespace:
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _humanise(iri: str) -> str:
    local = re.split(r"[#/]", iri)[-1]
    return _CAMEL.sub(" ", local).lower().capitalize()


@dataclass
class Field:
    """One input of a form: a property path and what the shapes say about its values."""

    path: str
    label: str
    datatype: str | None = None
    class_iri: str | None = None
    scheme: str | None = None
    choices: list[tuple[str, str]] = field(default_factory=list)  # (value, label) for sh:in and rdf:type
    min_count: int = 0
    max_count: int | None = None
    messages: list[str] = field(default_factory=list)
    node_kind_iri: bool = False

    @property
    def key(self) -> str:
        """The form field's name: the path's CURIE with ``.`` for ``:`` (``iop.city``)."""
        return re.sub(r"[^A-Za-z0-9_.-]", "_", curie(self.path).replace(":", "."))

    @property
    def curie(self) -> str:
        return curie(self.path)

    @property
    def required(self) -> bool:
        return self.min_count >= 1

    @property
    def repeatable(self) -> bool:
        return self.max_count is None or self.max_count > 1

    @property
    def widget(self) -> str:
        """How the field is entered: select, boolean, pick, iri, textarea, year, number or text."""
        if self.choices:
            return "select"
        if self.datatype == XSD + "boolean":
            return "boolean"
        if self.class_iri or self.scheme:
            return "pick"
        if self.node_kind_iri:
            return "iri"
        if self.datatype == RDF_LANGSTRING and self.path not in (LABEL, PREFIXES["skos"] + "prefLabel"):
            return "textarea"
        if self.datatype == XSD + "gYear":
            return "year"
        if self.datatype in NUMERIC:
            return "number"
        return "text"

    @property
    def hint(self) -> str:
        """What to enter, from the shape's own message (the first one)."""
        return self.messages[0] if self.messages else ""

    def term(self, value: str) -> ox.NamedNode | ox.Literal:
        """The RDF term of one entered value (ValueError with a sentence when it cannot be one)."""
        if self.widget in ("pick", "iri") or (self.choices and "://" in value):
            try:
                return ox.NamedNode(value)
            except ValueError:
                raise ValueError(
                    f"“{value}” is not a link: choose a suggestion or paste a full IRI (https://…)"
                ) from None
        if self.datatype == RDF_LANGSTRING:
            return ox.Literal(value, language="en")
        if self.datatype:
            return ox.Literal(value, datatype=ox.NamedNode(self.datatype))
        return ox.Literal(value)


@dataclass
class Form:
    """The fields of one kind, in display order."""

    kind: str
    class_iri: str
    title: str
    fields: list[Field]

    def field_for(self, path: str | None) -> Field | None:
        """The field a validation result's ``sh:resultPath`` (IRI or CURIE) concerns."""
        if path is None:
            return None
        return next((f for f in self.fields if path in (f.path, f.curie)), None)

    @property
    def paths(self) -> set[str]:
        return {f.path for f in self.fields}

    def to_triples(
        self, iri: str, values: dict[str, list[str]]
    ) -> tuple[list[ox.Triple], dict[str, list[str]]]:
        """The resource's triples from the form's values, and messages for values that are not readable."""
        subject = ox.NamedNode(iri)
        triples: list[ox.Triple] = []
        errors: dict[str, list[str]] = {}
        for f in self.fields:
            for raw in values.get(f.key, []):
                value = raw.strip()
                if not value:
                    continue
                try:
                    triples.append(ox.Triple(subject, ox.NamedNode(f.path), f.term(value)))
                except ValueError as exc:
                    errors.setdefault(f.key, []).append(str(exc))
        return triples, errors

    def values_of(self, iri: str, triples: list[ox.Triple]) -> dict[str, list[str]]:
        """The form's values for the stored resource (its triples with it as subject)."""
        by_path: dict[str, list[str]] = {}
        for t in triples:
            if subject_of(t).value == iri and isinstance(t.object, ox.NamedNode | ox.Literal):
                by_path.setdefault(t.predicate.value, []).append(t.object.value)
        return {f.key: sorted(by_path.get(f.path, [])) for f in self.fields}


class FormModels:
    """The shapes and the ontology, read once, and the form of each kind made from them."""

    def __init__(self, shapes: rdflib.Graph, ontology: rdflib.Graph) -> None:
        self.shapes = shapes
        self.ontology = ontology
        self._forms: dict[str, Form] = {}

    @classmethod
    def from_root(cls, root: Path) -> FormModels:
        shapes = quads_to_graph(q for f in shape_sources(root) for q in parse_file(f.path))
        ontology = quads_to_graph(
            q for f in graph_sources(root) if f.relative.startswith("ontology/") for q in parse_file(f.path)
        )
        return cls(shapes, ontology)

    def form(self, kind: str) -> Form:
        if kind not in KINDS:
            raise KeyError(kind)
        if kind not in self._forms:
            self._forms[kind] = self._build(kind, KINDS[kind])
        return self._forms[kind]

    def kind_of(self, types: set[str]) -> str | None:
        """The kind whose class (or a subclass of it) is among ``types``."""
        for kind, cls in KINDS.items():
            if cls in types or types & {c for c, _ in self._classes(cls)}:
                return kind
        return None

    # -- building ----------------------------------------------------------------------------------

    def _label(self, iri: str) -> str:
        node = rdflib.URIRef(iri)
        labels = list(self.ontology.objects(node, RDFS.label)) or list(self.shapes.objects(node, RDFS.label))
        english = [str(x) for x in labels if getattr(x, "language", None) in ("en", None)]
        text = english[0] if english else _humanise(iri)
        return text[:1].upper() + text[1:]

    def _classes(self, cls: str) -> list[tuple[str, str]]:
        """``cls`` and its subclasses in the ontology, with their labels."""
        found = [cls]
        todo = [rdflib.URIRef(cls)]
        while todo:
            for sub in self.ontology.subjects(RDFS.subClassOf, todo.pop()):
                if isinstance(sub, rdflib.URIRef) and str(sub) not in found:
                    found.append(str(sub))
                    todo.append(sub)
        return [(c, self._label(c)) for c in found]

    def _scheme_of(self, node_shape: rdflib.term.Node) -> str | None:
        for prop in self.shapes.objects(node_shape, SH.property):
            if self.shapes.value(prop, SH.path) == SKOS.inScheme:
                value = self.shapes.value(prop, SH.hasValue)
                if value is not None:
                    return str(value)
        return None

    def _build(self, kind: str, cls: str) -> Form:
        by_path: dict[str, Field] = {}
        order: list[str] = []
        target = rdflib.URIRef(cls)
        for node in self.shapes.subjects(SH.targetClass, target):
            props = [(p, False) for p in self.shapes.objects(node, SH.property)]
            for alternatives in self.shapes.objects(node, SH["or"]):
                props += [(p, True) for p in Collection(self.shapes, alternatives)]
            for prop, alternative in props:
                path = self.shapes.value(prop, SH.path)
                if not isinstance(path, rdflib.URIRef):
                    continue  # inverse and alternative paths describe links from elsewhere
                iri = str(path)
                if iri not in by_path:
                    by_path[iri] = Field(iri, self._label(iri))
                    order.append(iri)
                self._merge(by_path[iri], prop, alternative)
        by_path[RDF_TYPE_IRI] = Field(
            RDF_TYPE_IRI,
            "Type",
            choices=self._classes(cls),
            min_count=1,
            max_count=1,
            messages=["What kind of resource this is."],
        )
        fields = sorted(
            by_path.values(),
            key=lambda f: (
                FIRST.index(f.path) if f.path in FIRST else len(FIRST) + (len(LAST) if f.path in LAST else 0),
                LAST.index(f.path) if f.path in LAST else 0,
                not f.required,
                f.label.lower(),
            ),
        )
        title = self._label(cls)
        return Form(kind, cls, title, fields)

    def _merge(self, f: Field, prop: rdflib.term.Node, alternative: bool) -> None:
        g = self.shapes
        if not alternative and g.value(prop, SH.severity) in (None, SH.Violation):
            low = cast("Identifier | None", g.value(prop, SH.minCount))  # a literal (a str), as int() needs
            if low is not None:
                f.min_count = max(f.min_count, int(low))
        high = cast("Identifier | None", g.value(prop, SH.maxCount))  # a literal (a str), as int() needs
        if high is not None:
            f.max_count = int(high) if f.max_count is None else min(f.max_count, int(high))
        datatype = g.value(prop, SH.datatype)
        if datatype is not None and f.datatype is None:
            f.datatype = str(datatype)
        cls = g.value(prop, SH["class"])
        if cls is not None and f.class_iri is None:
            f.class_iri = str(cls)
        node = g.value(prop, SH.node)
        if node is not None and f.scheme is None:
            f.scheme = self._scheme_of(node)
        if g.value(prop, SH.nodeKind) == SH.IRI:
            f.node_kind_iri = True
        allowed = g.value(prop, SH["in"])
        if allowed is not None and not f.choices:
            f.choices = [(str(v), str(v)) for v in Collection(g, allowed)]
        for message in g.objects(prop, SH.message):
            if getattr(message, "language", "en") in ("en", None) and str(message) not in f.messages:
                f.messages.append(str(message))
        if f.datatype is None and g.value(prop, SH.qualifiedValueShape) is not None and f.path == LABEL:
            f.datatype = RDF_LANGSTRING
        if f.path == LABEL and g.value(prop, SH.uniqueLang) is not None:
            f.max_count = 1  # the form writes English labels only: one per language is one


def steward_graph(kind: str, slug: str) -> str:
    """The named graph a new resource goes into (docs/add-an-initiative.md: ``…/graph/contrib/<slug>``)."""
    return contrib_graph(slug if kind == "initiative" else f"{kind}-{slug}")
