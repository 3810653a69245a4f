"""Runs the compiled constraints on a pyoxigraph store and reports like :mod:`iopgraph.validation`.

    report = validate_store(store, shapes_graph)   # store: pyoxigraph.Store; its union graph is the data

Nested shapes are combined here: the value nodes that do not conform to a shape named by ``sh:node``,
``sh:or``, ``sh:and``, ``sh:xone``, ``sh:not`` or ``sh:qualifiedValueShape`` are found by running
that shape's own constraints with the value nodes as its focus pattern. Shapes the compiler does
not know (``Shape.unsupported``), and every shape they reach, are validated by pySHACL instead.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH
from rdflib.term import Node

from iopgraph.core.namespaces import PREFIXES
from iopgraph.core.rdfio import to_rdflib
from iopgraph.shacl import compiler as c
from iopgraph.shacl.model import Shape, direct_predicate, path_sparql, read_shapes
from iopgraph.validation import (
    SEVERITY_ORDER,
    ValidationReport,
    ValidationResult,
    _short,
    read_results,
)

#: Up to this many candidate values are sent in the query (VALUES); more are filtered here.
CANDIDATES_IN_QUERY = 5000
#: Nesting deeper than this is taken for a recursive shape, which SHACL leaves undefined.
MAX_DEPTH = 16


class Uncompilable(Exception):
    """A shape uses something the compiler does not write as SPARQL."""


@dataclass(frozen=True)
class Hit:
    """One violation found: the focus node, the value (if the component reports one), where from."""

    focus: object  # a pyoxigraph term
    value: object | None
    path: Node | None
    component: str
    shape: Node
    message: str | None = None
    severity: str | None = None  # a SPARQL constraint's own sh:severity (None: the shape's)


@dataclass(frozen=True)
class Step:
    """One constraint of one shape, to be checked for the focus nodes of ``focus``."""

    shape: Shape
    path: str | None  # the shape's path as SPARQL (None: a node shape)
    component: str
    params: dict[str, object]
    focus: c.FocusPattern
    depth: int


class Evaluator:
    """Evaluates shapes of one shapes graph over one store."""

    def __init__(self, store: ox.Store, shapes_graph: rdflib.Graph) -> None:
        self.store = store
        self.graph = shapes_graph
        self.shapes = read_shapes(shapes_graph)
        self._names = (f"x{i}" for i in itertools.count())
        self.queries = 0

    # --- running SPARQL ------------------------------------------------------------------------
    def fresh(self) -> str:
        return next(self._names)

    def rows(self, query: str) -> Iterator[ox.QuerySolution]:
        self.queries += 1
        result = self.store.query(query, use_default_graph_as_union=True)
        assert isinstance(result, ox.QuerySolutions)
        yield from result

    # --- shapes --------------------------------------------------------------------------------
    def check(self, shape: Shape, focus: c.FocusPattern, depth: int = 0) -> list[Hit]:
        """Every violation of ``shape`` and its property shapes, for the focus nodes of ``focus``."""
        if depth > MAX_DEPTH:
            raise Uncompilable(f"shape {shape.node} nests more than {MAX_DEPTH} levels (recursive?)")
        if shape.unsupported:
            raise Uncompilable(f"shape {shape.node} uses {', '.join(shape.unsupported)}")
        if shape.deactivated:
            return []
        path = path_sparql(self.graph, shape.path) if shape.path is not None else None
        hits: list[Hit] = []
        for constraint in shape.constraints:
            step = Step(shape, path, constraint.component, constraint.params, focus, depth)
            hits.extend(self._constraint(step))
        for prop in shape.properties:
            hits.extend(self.check(self.shape(prop), focus, depth + 1))
        return hits

    def shape(self, node: Node) -> Shape:
        found = self.shapes.get(node)
        if found is None:
            raise Uncompilable(f"{node} is used as a shape but has no shape description")
        return found

    def nonconforming(self, node: Node, focus: c.FocusPattern, depth: int) -> set[object]:
        """The focus nodes of ``focus`` that do not conform to the shape ``node``."""
        return {hit.focus for hit in self.check(self.shape(node), focus, depth + 1)}

    def _hit(
        self, shape: Shape, component: str, focus: object, value: object | None, message: str | None = None
    ) -> Hit:
        return Hit(focus, value, shape.path, component, shape.node, message)

    def _constraint(self, step: Step) -> list[Hit]:
        shape, path, component, params, focus = step.shape, step.path, step.component, step.params, step.focus
        condition = c.value_condition(component, params)
        if condition is not None:
            return [
                self._hit(shape, component, r["this"], r["v"])
                for r in self.rows(c.select_values(focus, path, condition))
            ]
        if component in ("MinCountConstraintComponent", "MaxCountConstraintComponent"):
            if path is None:
                raise Uncompilable("sh:minCount / sh:maxCount on a node shape")
            name = "minCount" if component.startswith("Min") else "maxCount"
            bound = int(str(params[name]))
            having = f"?n >= {bound}" if name == "minCount" else f"?n <= {bound}"
            return [
                self._hit(shape, component, r["this"], None)
                for r in self.rows(c.count_query(focus, path, having))
            ]
        if component == "HasValueConstraintComponent":
            value = params["hasValue"]
            assert isinstance(value, rdflib.term.Identifier)
            return [
                self._hit(shape, component, r["this"], None)
                for r in self.rows(c.has_value_query(focus, path, value))
            ]
        if component == "DisjointConstraintComponent":
            other = params["disjoint"]
            assert isinstance(other, rdflib.term.Identifier)
            return [
                self._hit(shape, component, r["this"], r["v"])
                for r in self.rows(c.disjoint_query(focus, path, other))
            ]
        if component == "EqualsConstraintComponent":
            other = params["equals"]
            assert isinstance(other, rdflib.term.Identifier)
            return [
                self._hit(shape, component, r["this"], r["v"])
                for q in c.equals_queries(focus, path, other)
                for r in self.rows(q)
            ]
        if component == "UniqueLangConstraintComponent":
            if str(params["uniqueLang"]).lower() != "true":
                return []
            if path is None:
                raise Uncompilable("sh:uniqueLang on a node shape")
            return [
                self._hit(shape, component, r["this"], None)
                for r in self.rows(c.unique_lang_query(focus, path))
            ]
        if component == "ClosedConstraintComponent":
            return self._closed(shape, params, focus)
        if component == "SPARQLConstraintComponent":
            return self._sparql(shape, path, params, focus)
        return self._logical(step)

    def _pairs(
        self, focus: c.FocusPattern, path: str | None, only: set[object] | None = None
    ) -> list[tuple[object, object | None]]:
        """(focus, value) pairs; with ``only``, just the pairs whose value is in it."""
        if only is not None:
            if not only:
                return []
            if len(only) <= CANDIDATES_IN_QUERY and not any(isinstance(v, ox.BlankNode) for v in only):
                values = " ".join(str(v) for v in only)
                if path is None:  # a node shape: the value is the focus node itself
                    query = f"SELECT DISTINCT ?this WHERE {{ VALUES ?this {{ {values} }} {focus('this')} }}"
                    return [(r["this"], r["this"]) for r in self.rows(query)]
                query = (
                    f"SELECT DISTINCT ?this ?v WHERE {{ VALUES ?v {{ {values} }} {focus('this')} "
                    f"{c.value_pattern(path)} }}"
                )
                return [(r["this"], r["v"]) for r in self.rows(query)]
            return [(f, v) for f, v in self._pairs(focus, path) if v in only]
        return [(r["this"], r["v"]) for r in self.rows(c.pairs_query(focus, path))]

    def _logical(self, step: Step) -> list[Hit]:
        shape, path, component, params, focus, depth = (
            step.shape, step.path, step.component, step.params, step.focus, step.depth
        )  # fmt: skip
        values = c.values_of(focus, path, self.fresh)
        if component in ("QualifiedMinCountConstraintComponent", "QualifiedMaxCountConstraintComponent"):
            return self._qualified(shape, path, component, params, focus, values, depth)
        members: list[Node]
        if component == "NodeConstraintComponent":
            members = [c.as_node(params["node"])]
        elif component == "NotConstraintComponent":
            members = [c.as_node(params["not"])]
        else:
            name = {
                "AndConstraintComponent": "and",
                "OrConstraintComponent": "or",
                "XoneConstraintComponent": "xone",
            }
            members = c.as_nodes(params[name[component]])
        failing = [self.nonconforming(m, values, depth) for m in members]
        # Only values failing somewhere can break node, and, or; not and xone need every value.
        candidates: set[object] | None = None
        if component in ("NodeConstraintComponent", "AndConstraintComponent"):
            candidates = set().union(*failing)
        elif component == "OrConstraintComponent":
            candidates = set.intersection(*failing) if failing else set()
        pairs = [(f, v) for f, v in self._pairs(focus, path, candidates) if v is not None]
        hits = []
        for f, v in pairs:
            conforming = sum(1 for bad in failing if v not in bad)
            broken = {
                "NodeConstraintComponent": conforming < 1,
                "NotConstraintComponent": conforming == 1,
                "AndConstraintComponent": conforming < len(members),
                "OrConstraintComponent": conforming == 0,
                "XoneConstraintComponent": conforming != 1,
            }[component]
            if broken:
                hits.append(self._hit(shape, component, f, v))
        return hits

    def _qualified(
        self,
        shape: Shape,
        path: str | None,
        component: str,
        params: dict[str, object],
        focus: c.FocusPattern,
        values: c.FocusPattern,
        depth: int,
    ) -> list[Hit]:
        qualified = params["qualifiedValueShape"]
        assert isinstance(qualified, rdflib.term.Identifier)
        bad = self.nonconforming(qualified, values, depth)
        siblings: list[set[object]] = []
        if str(params.get("qualifiedValueShapesDisjoint", "false")).lower() == "true":
            for parent in self.graph.subjects(SH.property, shape.node):
                for other in self.graph.objects(parent, SH.property):
                    sibling = self.graph.value(other, SH.qualifiedValueShape)
                    if other != shape.node and sibling is not None:
                        siblings.append(self.nonconforming(sibling, values, depth))
        counts: dict[object, int] = defaultdict(int)
        for f, v in self._pairs(focus, path):
            counts[f] += 0
            if v is None or v in bad:
                continue
            if any(v not in sibling_bad for sibling_bad in siblings):
                continue  # conforms to a sibling's qualified shape as well
            counts[f] += 1
        name = "qualifiedMinCount" if "Min" in component else "qualifiedMaxCount"
        bound = int(str(params[name]))
        return [
            self._hit(shape, component, f, None)
            for f, n in counts.items()
            if (n < bound if name == "qualifiedMinCount" else n > bound)
        ]

    def _closed(self, shape: Shape, params: dict[str, object], focus: c.FocusPattern) -> list[Hit]:
        if str(params["closed"]).lower() != "true":
            return []
        allowed: list[Node] = list(c.as_nodes(params.get("ignoredProperties", [])))
        for prop in shape.properties:
            predicate = direct_predicate(self.shape(prop).path)
            if predicate is not None:
                allowed.append(predicate)
        return [
            Hit(r["this"], r["v"], rdflib.URIRef(r["p"].value), "ClosedConstraintComponent", shape.node)
            for r in self.rows(c.closed_query(focus, allowed))
        ]

    def _sparql(
        self, shape: Shape, path: str | None, params: dict[str, object], focus: c.FocusPattern
    ) -> list[Hit]:
        hits = []
        for node in c.as_nodes(params["sparql"]):
            if str(self.graph.value(node, SH.deactivated)).lower() == "true":
                continue
            select = self.graph.value(node, SH.select)
            if select is None:
                raise Uncompilable(f"SPARQL constraint {node} has no sh:select")
            query = _prefixes(self.graph, node) + _prebind(str(select), focus, path)
            messages = [str(m) for m in self.graph.objects(node, SH.message)]
            own_severity = self.graph.value(node, SH.severity)
            severity = str(own_severity).rsplit("#", 1)[-1] if own_severity is not None else None
            for r in self.rows(query):
                value = _get(r, "value")
                if value is None and shape.path is None:
                    value = r["this"]  # SHACL: for a node shape, the value is the focus node
                result_path = _get(r, "path")
                hit_path = (
                    rdflib.URIRef(result_path.value) if isinstance(result_path, ox.NamedNode) else shape.path
                )
                message = _fill(messages[0], r) if messages else None
                hits.append(
                    Hit(
                        r["this"], value, hit_path, "SPARQLConstraintComponent", shape.node, message, severity
                    )
                )
        return hits


def _get(row: ox.QuerySolution, name: str) -> object | None:
    try:
        value: object = row[name]
        return value
    except (KeyError, IndexError):
        return None


def _fill(template: str, row: ox.QuerySolution) -> str:
    def replace(match: re.Match[str]) -> str:
        value = _get(row, match.group(1))
        return match.group(0) if value is None else _plain(value)

    return re.sub(r"\{[$?](\w+)\}", replace, template)


def _plain(term: object) -> str:
    return term.value if isinstance(term, (ox.NamedNode, ox.Literal, ox.BlankNode)) else str(term)


def _prefixes(graph: rdflib.Graph, node: Node) -> str:
    lines = []
    for holder in graph.objects(node, SH.prefixes):
        for declaration in graph.objects(holder, SH.declare):
            prefix = graph.value(declaration, SH.prefix)
            namespace = graph.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(lines) + "\n"


def _prebind(select: str, focus: c.FocusPattern, path: str | None) -> str:
    """The constraint's query with ``$this`` bound to the focus nodes (and ``$PATH`` to the path)."""
    text = select.replace("$this", "?this")
    if path is not None:
        text = text.replace("$PATH", path)
    elif "$PATH" in text:
        raise Uncompilable("$PATH in a SPARQL constraint of a node shape")
    where = re.search(r"\bWHERE\s*\{", text, re.IGNORECASE) or re.search(r"\{", text)
    if where is None:
        raise Uncompilable("a SPARQL constraint without a WHERE clause")
    return text[: where.end()] + " " + focus("this") + " " + text[where.end() :]


def compiled_results(store: ox.Store, shapes_graph: rdflib.Graph) -> tuple[list[ValidationResult], set[Node]]:
    """The results of every shape that compiles, and the targeted shapes left for pySHACL."""
    evaluator = Evaluator(store, shapes_graph)
    names = rdflib.Graph()
    for prefix, declared in shapes_graph.namespaces():  # as pySHACL's report graph: the shapes' prefixes,
        names.bind(prefix, declared)
    for prefix, namespace in PREFIXES.items():  # then the project's (validation.py binds them last too)
        names.bind(prefix, namespace, replace=True)
    fmt = _Formatter(shapes_graph, names)
    results: list[ValidationResult] = []
    left: set[Node] = set()
    for node, shape in sorted(evaluator.shapes.items(), key=lambda kv: str(kv[0])):
        focus = c.target_pattern(shape.targets)
        if focus is None:
            continue
        try:
            hits = evaluator.check(shape, focus)
        except (Uncompilable, ValueError):
            left.add(node)
            continue
        seen: set[tuple[object, ...]] = set()
        for hit in hits:
            key = (hit.focus, hit.value, hit.path, hit.component, hit.shape, hit.message)
            if key in seen:
                continue
            seen.add(key)
            results.append(_result(hit, evaluator, fmt))
    return results, left


class _Formatter:
    """``_short`` of validation.py, remembered per term (results repeat paths, shapes and values)."""

    def __init__(self, shapes_graph: rdflib.Graph, names: rdflib.Graph) -> None:
        self.shapes_graph = shapes_graph
        self.names = names
        self.cache: dict[object, str | None] = {}

    def path(self, node: Node | None) -> str | None:
        if node is None:
            return None
        key = ("path", node)
        if key not in self.cache:
            graph = self.names if isinstance(node, rdflib.URIRef) else self.shapes_graph
            self.cache[key] = _short(node, graph)
        return self.cache[key]

    def value(self, term: object | None) -> str | None:
        """A value as validation.py writes it; literals are written as their lexical form."""
        if term is None:
            return None
        if isinstance(term, ox.Literal):
            return term.value
        key = ("value", term)
        if key not in self.cache:
            assert isinstance(term, (ox.NamedNode, ox.BlankNode))  # literals are written above
            self.cache[key] = _short(to_rdflib(term), self.names)
        return self.cache[key]

    def term(self, node: Node | None) -> str | None:
        if node is None:
            return None
        if node not in self.cache:
            self.cache[node] = _short(node, self.names)
        return self.cache[node]


def _result(hit: Hit, evaluator: Evaluator, fmt: _Formatter) -> ValidationResult:
    shape = evaluator.shapes[hit.shape]
    own = list(shape.messages)
    default = f"{hit.component.removesuffix('ConstraintComponent')} not met"
    focus = hit.focus
    return ValidationResult(
        severity=hit.severity or shape.severity,
        focus_node=_plain(focus) if not isinstance(focus, ox.BlankNode) else f"{focus.value}",
        path=fmt.path(hit.path),
        value=fmt.value(hit.value),
        message=" ".join(own) if own else (hit.message or default),
        shape=None if isinstance(hit.shape, rdflib.BNode) else fmt.term(hit.shape),
        constraint=hit.component,
    )


def validate_store(store: ox.Store, shapes_graph: rdflib.Graph) -> ValidationReport:
    """Full validation of the store's union graph; shapes that do not compile go to pySHACL."""
    results, left = compiled_results(store, shapes_graph)
    if left:
        results.extend(_with_pyshacl(store, shapes_graph, left))
    results.sort(key=lambda r: (SEVERITY_ORDER.get(r.severity, 9), r.focus_node, r.path or "", r.value or ""))
    return ValidationReport(results, rdflib.Graph())


def _with_pyshacl(store: ox.Store, shapes_graph: rdflib.Graph, shapes: set[Node]) -> list[ValidationResult]:
    """pySHACL over the store for just ``shapes`` (targets kept only on them)."""
    from iopgraph.core.rdfio import to_rdflib
    from iopgraph.validation import TARGET_PREDICATES, _run_pyshacl

    subset = rdflib.Graph()
    for triple in shapes_graph:
        if triple[1] in TARGET_PREDICATES and triple[0] not in shapes:
            continue
        subset.add(triple)
    data = rdflib.Graph()
    for quad in store.quads_for_pattern(None, None, None):
        data.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    report = _run_pyshacl(data, subset, None)
    for prefix, declared in shapes_graph.namespaces():  # paths written as the compiled results write them
        report.bind(prefix, declared)
    for prefix, namespace in PREFIXES.items():
        report.bind(prefix, namespace, replace=True)
    return read_results(report, {}, shapes_graph)
