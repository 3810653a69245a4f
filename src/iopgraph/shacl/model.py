"""The shapes graph read into plain objects: shapes, their targets, paths and constraints.

    shapes = read_shapes(graph)       # {shape node: Shape}
    shapes[node].constraints          # [Constraint("minCount", {"minCount": Literal(1)}), ...]

Only what the compiler needs is read; a shape using a constraint component the compiler does not
know gets ``unsupported`` set, and the engine hands it to pySHACL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

#: Parameters of the constraint components the compiler knows, by component (local name).
COMPONENTS: dict[str, tuple[str, ...]] = {
    "ClassConstraintComponent": ("class",),
    "DatatypeConstraintComponent": ("datatype",),
    "NodeKindConstraintComponent": ("nodeKind",),
    "MinCountConstraintComponent": ("minCount",),
    "MaxCountConstraintComponent": ("maxCount",),
    "MinInclusiveConstraintComponent": ("minInclusive",),
    "MaxInclusiveConstraintComponent": ("maxInclusive",),
    "MinExclusiveConstraintComponent": ("minExclusive",),
    "MaxExclusiveConstraintComponent": ("maxExclusive",),
    "MinLengthConstraintComponent": ("minLength",),
    "MaxLengthConstraintComponent": ("maxLength",),
    "PatternConstraintComponent": ("pattern",),
    "LanguageInConstraintComponent": ("languageIn",),
    "UniqueLangConstraintComponent": ("uniqueLang",),
    "InConstraintComponent": ("in",),
    "HasValueConstraintComponent": ("hasValue",),
    "DisjointConstraintComponent": ("disjoint",),
    "EqualsConstraintComponent": ("equals",),
    "NodeConstraintComponent": ("node",),
    "NotConstraintComponent": ("not",),
    "AndConstraintComponent": ("and",),
    "OrConstraintComponent": ("or",),
    "XoneConstraintComponent": ("xone",),
    "QualifiedMinCountConstraintComponent": ("qualifiedMinCount",),
    "QualifiedMaxCountConstraintComponent": ("qualifiedMaxCount",),
    "ClosedConstraintComponent": ("closed",),
    "SPARQLConstraintComponent": ("sparql",),
}
#: Parameters that belong to a component listed above but do not make one of their own.
HELPERS = {"flags", "qualifiedValueShape", "qualifiedValueShapesDisjoint", "ignoredProperties"}
#: Shape predicates that are not constraint parameters.
NON_PARAMETERS = {
    "path", "property", "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "target",
    "severity", "message", "name", "description", "order", "group", "deactivated", "defaultValue",
    "declare", "prefixes", "rule", "labelTemplate",
}  # fmt: skip
LIST_PARAMETERS = {"languageIn", "in", "and", "or", "xone", "ignoredProperties"}


@dataclass(frozen=True)
class Constraint:
    """One constraint component of a shape with its parameter values."""

    component: str
    params: dict[str, object]


@dataclass
class Shape:
    """A node shape (``path`` is None) or a property shape."""

    node: Node
    path: Node | None
    severity: str = "Violation"
    messages: tuple[str, ...] = ()
    targets: list[tuple[str, Node]] = field(default_factory=list)
    constraints: list[Constraint] = field(default_factory=list)
    properties: list[Node] = field(default_factory=list)
    deactivated: bool = False
    unsupported: list[str] = field(default_factory=list)


def _local(node: Node) -> str:
    text = str(node)
    return text.rsplit("#", 1)[-1] if "#" in text else text.rsplit("/", 1)[-1]


def _list(graph: rdflib.Graph, head: Node) -> list[Node]:
    return list(Collection(graph, head)) if head != RDF.nil else []


def _shape_nodes(graph: rdflib.Graph) -> set[Node]:
    """Every node the SHACL spec treats as a shape in ``graph``."""
    found: set[Node] = set(graph.subjects(RDF.type, SH.NodeShape)) | set(
        graph.subjects(RDF.type, SH.PropertyShape)
    )
    for predicate in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.path):
        found |= set(graph.subjects(predicate, None))
    for predicate in (SH.property, SH.node, SH["not"], SH.qualifiedValueShape):
        found |= {o for o in graph.objects(None, predicate)}
    for predicate in (SH["and"], SH["or"], SH.xone):
        for head in graph.objects(None, predicate):
            found |= set(_list(graph, head))
    return found


def read_shape(graph: rdflib.Graph, node: Node) -> Shape:
    shape = Shape(node=node, path=graph.value(node, SH.path))
    severity = graph.value(node, SH.severity)
    if severity is not None:
        shape.severity = _local(severity)
    shape.messages = tuple(str(m) for m in graph.objects(node, SH.message))
    shape.deactivated = str(graph.value(node, SH.deactivated)).lower() == "true"
    for kind in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf"):
        shape.targets.extend((kind, o) for o in graph.objects(node, SH[kind]))
    if (node, RDF.type, RDFS.Class) in graph and (node, RDF.type, SH.NodeShape) in graph:
        shape.targets.append(("targetClass", node))  # an implicit class target
    if (node, SH.target, None) in graph:
        shape.unsupported.append("sh:target (SPARQL-based targets)")
    shape.properties = sorted(graph.objects(node, SH.property), key=str)
    params: dict[str, object] = {}
    for predicate, value in graph.predicate_objects(node):
        name = str(predicate)
        if not name.startswith(str(SH)):
            continue
        local = name[len(str(SH)) :]
        if local in NON_PARAMETERS:
            continue
        if local in LIST_PARAMETERS:
            params[local] = _list(graph, value)
        elif local in ("sparql",):
            params.setdefault("sparql", [])
            assert isinstance(params["sparql"], list)
            params["sparql"].append(value)
        else:
            params[local] = value
    known = {p for ps in COMPONENTS.values() for p in ps} | HELPERS
    shape.unsupported.extend(f"sh:{p}" for p in sorted(params) if p not in known)
    for component, names in COMPONENTS.items():
        name = names[0]
        if name in params:
            own = {name: params[name]}
            for helper in HELPERS:
                if helper in params:
                    own[helper] = params[helper]
            shape.constraints.append(Constraint(component, own))
    return shape


def read_shapes(graph: rdflib.Graph) -> dict[Node, Shape]:
    """All shapes of ``graph``, by node."""
    return {node: read_shape(graph, node) for node in _shape_nodes(graph)}


def path_sparql(graph: rdflib.Graph, path: Node) -> str:
    """A SHACL property path as a SPARQL property path."""
    if isinstance(path, rdflib.URIRef):
        return f"<{path}>"
    for kind, template in (
        (SH.inversePath, "^({})"),
        (SH.zeroOrMorePath, "({})*"),
        (SH.oneOrMorePath, "({})+"),
        (SH.zeroOrOnePath, "({})?"),
    ):
        inner = graph.value(path, kind)
        if inner is not None:
            return template.format(path_sparql(graph, inner))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_sparql(graph, p) for p in _list(graph, alternatives)) + ")"
    if (path, RDF.first, None) in graph:
        return "(" + "/".join(path_sparql(graph, p) for p in _list(graph, path)) + ")"
    raise ValueError(f"not a SHACL path: {path}")


def direct_predicate(path: Node | None) -> rdflib.URIRef | None:
    """The predicate of a path that is a plain IRI (what ``sh:closed`` allows), else None."""
    return path if isinstance(path, rdflib.URIRef) else None
