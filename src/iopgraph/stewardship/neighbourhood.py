"""The shape-aware neighbourhood of a change: which focus nodes it can affect, and what the shapes read there.

    model = ShapeModel(shapes)                      # once per shapes graph
    plan = model.plan(store, change)                # None: the shapes need a full validation
    before = validate_graph(plan.before, shapes, focus_nodes=plan.focus_nodes)
    after = validate_graph(plan.after, shapes, focus_nodes=plan.focus_nodes)

Validating a single new resource against a 1M-triple graph takes pySHACL over a
minute; validating a naive one-hop neighbourhood is fast but *wrong* (``sh:class``
needs the linked node's type and its class hierarchy, ``skos:broader*`` needs
the whole chain). This module follows exactly what the shapes read:

1. The shapes become an automaton (NFA). A state is "where we are" in a shape;
   an edge reads triples with one predicate, forwards or backwards
   (``sh:path`` with sequences, alternatives, inverse and ``*``/``+``/``?``
   paths, ``sh:node``/``sh:property``/``sh:and``/``sh:or``/``sh:xone``/``sh:not``/
   ``sh:qualifiedValueShape`` recursion, ``sh:class`` → ``rdf:type`` then
   ``rdfs:subClassOf*``, ``sh:equals``/``sh:disjoint``/``sh:lessThan…``,
   ``sh:closed`` → every predicate, the triple patterns of SPARQL-based
   constraints anchored at ``$this``, and the triples targets depend on).
2. The focus nodes a change can affect: run the automaton *backwards* from
   every changed triple (in the union of the graph before and after) to the
   entry state of a targeted shape.
3. Their neighbourhood: run it *forwards* from those focus nodes, collecting
   every triple read, once in the graph before and once after the change.

Validating those focus nodes on those subgraphs gives the same results as on the
whole graph (a result depends only on the triples its shapes read), so the
verdict on the change equals the verdict of full validation (tests compare
them). What the automaton cannot model (SPARQL targets, SHACL rules, ``$PATH``
in SPARQL constraints, unknown constraint components, blank-node focus nodes)
makes :meth:`ShapeModel.plan` return None, and the caller validates in full.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node, URIRef, Variable

from iopgraph.core.rdfio import from_rdflib, to_rdflib
from iopgraph.query.algebra import walk_algebra
from iopgraph.stewardship.changes import Change, is_system_graph

ANY = None  # an edge reading every predicate
TYPE = ox.NamedNode(str(RDF.type))
SUBCLASS = ox.NamedNode(str(RDFS.subClassOf))

#: Shape parameters that only look at the value nodes already reached (nothing more to read).
VALUE_PARAMETERS = {
    SH.datatype,
    SH.nodeKind,
    SH.minCount,
    SH.maxCount,
    SH.minExclusive,
    SH.minInclusive,
    SH.maxExclusive,
    SH.maxInclusive,
    SH.minLength,
    SH.maxLength,
    SH.pattern,
    SH.flags,
    SH.languageIn,
    SH.uniqueLang,
    SH["in"],
    SH.hasValue,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.ignoredProperties,
}
#: Parameters that describe the shape or report, not constraints.
DESCRIPTIVE = {
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.deactivated,
    SH.defaultValue,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.path,
    SH.declare,
    SH.prefixes,
}


class Unsupported(Exception):
    """The shapes use something the automaton does not model."""


@dataclass
class Edge:
    predicate: ox.NamedNode | None  # None = any predicate
    inverse: bool
    target: int


class Automaton:
    """States, predicate edges and epsilon moves."""

    def __init__(self) -> None:
        self.count = 0
        self.edges: dict[int, list[Edge]] = defaultdict(list)
        self.eps: dict[int, set[int]] = defaultdict(set)
        self.eps_back: dict[int, set[int]] = defaultdict(set)
        self.edges_back: dict[int, list[tuple[int, Edge]]] = defaultdict(list)
        self.by_predicate: dict[ox.NamedNode | None, list[tuple[int, Edge]]] = defaultdict(list)

    def state(self) -> int:
        self.count += 1
        return self.count

    def edge(
        self, source: int, predicate: ox.NamedNode | None, inverse: bool, target: int | None = None
    ) -> int:
        target = target if target is not None else self.state()
        e = Edge(predicate, inverse, target)
        self.edges[source].append(e)
        self.edges_back[target].append((source, e))
        self.by_predicate[predicate].append((source, e))
        return target

    def epsilon(self, source: int, target: int) -> None:
        if source != target:
            self.eps[source].add(target)
            self.eps_back[target].add(source)


class ShapeModel:
    """The automaton of a shapes graph, and the neighbourhood plans built with it."""

    def __init__(self, shapes: rdflib.Graph) -> None:
        self.shapes = shapes
        self.nfa = Automaton()
        self._entry: dict[Node, int] = {}
        self.targeted: set[int] = set()
        self.targets: dict[int, Targets] = {}
        self.type_of = self.nfa.state()
        classes = self.nfa.edge(self.type_of, TYPE, False)
        self.nfa.edge(classes, SUBCLASS, False, classes)
        self.unsupported: str | None = None
        try:
            self._build()
        except Unsupported as exc:
            self.unsupported = str(exc)

    # -- building ----------------------------------------------------------------------------------------

    def _build(self) -> None:
        g = self.shapes
        if any(True for _ in g.triples((None, SH.rule, None))) or any(
            True for _ in g.triples((None, SH.target, None))
        ):
            raise Unsupported("SHACL rules or SPARQL-based targets")
        shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
        for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
            shapes |= set(g.subjects(p, None))
        for shape in sorted(shapes, key=str):
            entry = self._shape(shape)
            if self._has_target(shape):
                self.targeted.add(entry)
                self._target_reads(shape, entry)
                self.targets[entry] = self._targets_of(shape)

    def _targets_of(self, shape: Node) -> Targets:
        g = self.shapes
        classes = {_named(c) for c in g.objects(shape, SH.targetClass)}
        if (shape, RDF.type, RDFS.Class) in g or (shape, RDF.type, rdflib.OWL.Class) in g:
            classes.add(_named(shape))
        return Targets(
            classes,
            {from_rdflib(n) for n in g.objects(shape, SH.targetNode)},
            {_named(p) for p in g.objects(shape, SH.targetSubjectsOf)},
            {_named(p) for p in g.objects(shape, SH.targetObjectsOf)},
        )

    def _has_target(self, shape: Node) -> bool:
        g = self.shapes
        implicit = (shape, RDF.type, RDFS.Class) in g or (shape, RDF.type, rdflib.OWL.Class) in g
        return implicit or any(
            True
            for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
            for _ in g.objects(shape, p)
        )

    def _target_reads(self, shape: Node, entry: int) -> None:
        g = self.shapes
        if (
            any(True for _ in g.objects(shape, SH.targetClass))
            or (shape, RDF.type, RDFS.Class) in g
            or (shape, RDF.type, rdflib.OWL.Class) in g
        ):
            self.nfa.epsilon(entry, self.type_of)
        for p in g.objects(shape, SH.targetSubjectsOf):
            self.nfa.edge(entry, _named(p), False)
        for p in g.objects(shape, SH.targetObjectsOf):
            self.nfa.edge(entry, _named(p), True)

    def _shape(self, shape: Node) -> int:
        if shape in self._entry:
            return self._entry[shape]
        entry = self.nfa.state()
        self._entry[shape] = entry
        path = self.shapes.value(shape, SH.path)
        value = self._path(path, entry, False) if path is not None else entry
        self._constraints(shape, entry, value)
        return entry

    def _list(self, node: Node) -> list[Node]:
        return list(Collection(self.shapes, node))

    def _path(self, path: Node, start: int, inverse: bool) -> int:
        """Build the path from ``start``; returns the state of the value nodes."""
        g, nfa = self.shapes, self.nfa
        if isinstance(path, URIRef):
            return nfa.edge(start, _named(path), inverse)
        if (path, RDF.first, None) in g:
            items = self._list(path)
            cur = start
            for item in reversed(items) if inverse else items:
                cur = self._path(item, cur, inverse)
            return cur
        if (inner := g.value(path, SH.inversePath)) is not None:
            return self._path(inner, start, not inverse)
        if (alts := g.value(path, SH.alternativePath)) is not None:
            end = nfa.state()
            for item in self._list(alts):
                nfa.epsilon(self._path(item, start, inverse), end)
            return end
        if (inner := g.value(path, SH.zeroOrMorePath)) is not None:
            loop = nfa.state()
            nfa.epsilon(start, loop)
            nfa.epsilon(self._path(inner, loop, inverse), loop)
            return loop
        if (inner := g.value(path, SH.oneOrMorePath)) is not None:
            loop = nfa.state()
            nfa.epsilon(self._path(inner, start, inverse), loop)
            nfa.epsilon(self._path(inner, loop, inverse), loop)
            return loop
        if (inner := g.value(path, SH.zeroOrOnePath)) is not None:
            end = nfa.state()
            nfa.epsilon(start, end)
            nfa.epsilon(self._path(inner, start, inverse), end)
            return end
        raise Unsupported(f"path {path!r}")

    def _constraints(self, shape: Node, focus: int, value: int) -> None:
        g, nfa = self.shapes, self.nfa
        for p, o in g.predicate_objects(shape):
            if p in VALUE_PARAMETERS or p in DESCRIPTIVE or not str(p).startswith(str(SH)):
                continue
            if p == SH["class"]:
                nfa.epsilon(value, self.type_of)
            elif p in (SH.node, SH.property, SH["not"], SH.qualifiedValueShape):
                nfa.epsilon(value, self._shape(o))
            elif p in (SH["and"], SH["or"], SH.xone):
                for item in self._list(o):
                    nfa.epsilon(value, self._shape(item))
            elif p in (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals):
                nfa.edge(focus, _named(o), False)
            elif p == SH.closed:
                if o == rdflib.Literal(True):
                    nfa.edge(value, ANY, False)
            elif p == SH.qualifiedValueShapesDisjoint:
                if o == rdflib.Literal(True):
                    for parent in g.subjects(SH.property, shape):
                        for sibling in g.objects(parent, SH.property):
                            for q in g.objects(sibling, SH.qualifiedValueShape):
                                nfa.epsilon(value, self._shape(q))
            elif p == SH.sparql:
                if focus != value:
                    raise Unsupported("SPARQL constraints in property shapes ($PATH)")
                self._sparql(o, focus)
            else:
                raise Unsupported(f"constraint parameter {p}")

    def _prefixes(self, constraint: Node) -> dict[str, str]:
        g = self.shapes
        found: dict[str, str] = {}
        for holder in g.objects(constraint, SH.prefixes):
            for decl in g.objects(holder, SH.declare):
                prefix, ns = g.value(decl, SH.prefix), g.value(decl, SH.namespace)
                if prefix is not None and ns is not None:
                    found[str(prefix)] = str(ns)
        return found

    def _sparql(self, constraint: Node, this: int) -> None:
        select = self.shapes.value(constraint, SH.select)
        if select is None:
            raise Unsupported("SPARQL constraint without sh:select")
        text = str(select)
        if "$PATH" in text or "$shapesGraph" in text or "$currentShape" in text:
            raise Unsupported("SPARQL constraint using $PATH, $shapesGraph or $currentShape")
        query = prepareQuery(text, initNs=self._prefixes(constraint))
        patterns = _patterns(query.algebra)
        if any(
            node.name in ("Graph", "GraphGraphPattern", "ServiceGraphPattern")
            for node in walk_algebra(query.algebra)
        ):
            raise Unsupported("GRAPH or SERVICE in a SPARQL constraint")
        states: dict[Node, int] = {Variable("this"): this}
        todo = list(patterns)
        progress = True
        while todo and progress:
            progress = False
            for pattern in list(todo):
                s, p, o = pattern
                if s in states and isinstance(s, Variable):
                    end = self._pattern_edge(states[s], p, False)
                    self._join(states, o, end)
                elif o in states and isinstance(o, Variable):
                    end = self._pattern_edge(states[o], p, True)
                    self._join(states, s, end)
                else:
                    continue
                todo.remove(pattern)
                progress = True
        if todo:
            raise Unsupported("a SPARQL constraint reads triples not connected to $this")

    def _join(self, states: dict[Node, int], term: Node, end: int) -> None:
        if isinstance(term, Variable) and term in states:
            self.nfa.epsilon(end, states[term])
        else:
            states[term] = end

    def _pattern_edge(self, start: int, predicate: Any, inverse: bool) -> int:
        if isinstance(predicate, Variable):
            return self.nfa.edge(start, ANY, inverse)
        if isinstance(predicate, URIRef):
            return self.nfa.edge(start, _named(predicate), inverse)
        if isinstance(predicate, Path):
            return self._sparql_path(predicate, start, inverse)
        raise Unsupported(f"predicate {predicate!r} in a SPARQL constraint")

    def _sparql_path(self, path: Any, start: int, inverse: bool) -> int:
        nfa = self.nfa
        if isinstance(path, URIRef):
            return nfa.edge(start, _named(path), inverse)
        if isinstance(path, InvPath):
            return self._sparql_path(path.arg, start, not inverse)
        if isinstance(path, SequencePath):
            cur = start
            for item in reversed(path.args) if inverse else path.args:
                cur = self._sparql_path(item, cur, inverse)
            return cur
        if isinstance(path, AlternativePath):
            end = nfa.state()
            for item in path.args:
                nfa.epsilon(self._sparql_path(item, start, inverse), end)
            return end
        if isinstance(path, MulPath):
            loop = nfa.state()
            if path.zero:
                nfa.epsilon(start, loop)
            nfa.epsilon(self._sparql_path(path.path, start, inverse), loop)
            if path.more:
                nfa.epsilon(self._sparql_path(path.path, loop, inverse), loop)
            return loop
        raise Unsupported(f"property path {path!r} in a SPARQL constraint")

    # -- planning ------------------------------------------------------------------------------------------

    def plan(self, source: ox.Store, change: Change) -> NeighbourhoodPlan | None:
        """The focus nodes ``change`` can affect and their neighbourhoods before/after; None = validate fully."""
        if self.unsupported is not None:
            return None
        removed, added = change.union_removed(source), change.union_added()
        before = View(source)
        after = View(source, removed, added)
        union = View(source, set(), added)
        candidates = self._affected(union, removed | added)
        # Keep the candidates some shape really targets, before or after the change.
        focus = {
            node
            for node, entry in candidates
            if self.targets[entry].match(before, node) or self.targets[entry].match(after, node)
        }
        if any(not isinstance(f, ox.NamedNode) for f in focus):
            return None  # pySHACL's focus_nodes option only takes IRIs
        return NeighbourhoodPlan(
            self._collect(before, self._entries(before, focus)),
            self._collect(after, self._entries(after, focus)),
            [rdflib.URIRef(f.value) for f in sorted(focus, key=str)],
        )

    def _affected(self, view: View, changed: set[ox.Triple]) -> set[tuple[Any, int]]:
        """(node, entry state of a targeted shape) pairs from which the automaton reads a changed triple."""
        nfa = self.nfa
        todo: list[tuple[Any, int]] = []
        for t in changed:
            for source_state, e in (*nfa.by_predicate.get(t.predicate, ()), *nfa.by_predicate.get(ANY, ())):
                todo.append((t.object if e.inverse else t.subject, source_state))
        seen: set[tuple[Any, int]] = set()
        focus: set[tuple[Any, int]] = set()
        while todo:
            item = todo.pop()
            if item in seen:
                continue
            seen.add(item)
            node, state = item
            if isinstance(node, ox.Literal):
                continue
            if state in self.targeted:
                focus.add((node, state))
            for prev in nfa.eps_back.get(state, ()):
                todo.append((node, prev))
            for prev, e in nfa.edges_back.get(state, ()):
                if e.inverse:  # prev --^p--> node: the triple is (node p m)
                    todo.extend((t.object, prev) for t in view.match(node, e.predicate, None))
                else:  # prev --p--> node: the triple is (m p node)
                    todo.extend((t.subject, prev) for t in view.match(None, e.predicate, node))
        return focus

    def _entries(self, view: View, focus: set[Any]) -> list[tuple[Any, int]]:
        """Each focus node with the entry state of every shape that targets it in ``view``."""
        return [(f, e) for f in focus for e in self.targeted if self.targets[e].match(view, f)]

    def _collect(self, view: View, start: list[tuple[Any, int]]) -> rdflib.Graph:
        """Every triple the automaton reads from the ``start`` (node, state) pairs in ``view``."""
        nfa = self.nfa
        triples: set[ox.Triple] = set()
        todo = list(start)
        seen: set[tuple[Any, int]] = set()
        while todo:
            item = todo.pop()
            if item in seen:
                continue
            seen.add(item)
            node, state = item
            todo.extend((node, nxt) for nxt in nfa.eps.get(state, ()))
            if isinstance(node, ox.Literal):
                continue
            for e in nfa.edges.get(state, ()):
                if e.inverse:
                    for t in view.match(None, e.predicate, node):
                        triples.add(t)
                        todo.append((t.subject, e.target))
                else:
                    for t in view.match(node, e.predicate, None):
                        triples.add(t)
                        todo.append((t.object, e.target))
        graph = rdflib.Graph()
        for t in triples:
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return graph


@dataclass
class Targets:
    """The targets of one shape (SHACL Core; class targets include subclasses, implicit class targets too)."""

    classes: set[ox.NamedNode]
    nodes: set[Any]
    subjects_of: set[ox.NamedNode]
    objects_of: set[ox.NamedNode]

    def match(self, view: View, node: Any) -> bool:
        if node in self.nodes:
            return True
        if isinstance(node, ox.Literal):
            return False
        if any(True for p in self.subjects_of for _ in view.match(node, p, None)):
            return True
        if any(True for p in self.objects_of for _ in view.match(None, p, node)):
            return True
        if not self.classes:
            return False
        todo = [t.object for t in view.match(node, TYPE, None)]
        seen: set[Any] = set()
        while todo:
            c = todo.pop()
            if c in self.classes:
                return True
            if c in seen or isinstance(c, ox.Literal):
                continue
            seen.add(c)
            todo.extend(t.object for t in view.match(c, SUBCLASS, None))
        return False


@dataclass
class NeighbourhoodPlan:
    before: rdflib.Graph
    after: rdflib.Graph
    focus_nodes: list[rdflib.URIRef]


class View:
    """The union graph of a store (system graphs left out), minus ``removed``, plus ``added``."""

    def __init__(
        self, store: ox.Store, removed: set[ox.Triple] | None = None, added: set[ox.Triple] | None = None
    ) -> None:
        self.store = store
        self.removed = removed or set()
        self.added = added or set()
        self._added_by_s: dict[Any, list[ox.Triple]] = defaultdict(list)
        self._added_by_o: dict[Any, list[ox.Triple]] = defaultdict(list)
        for t in self.added:
            self._added_by_s[t.subject].append(t)
            self._added_by_o[t.object].append(t)

    def match(self, s: Any, p: ox.NamedNode | None, o: Any) -> Iterator[ox.Triple]:
        found: set[ox.Triple] = set()
        for q in self.store.quads_for_pattern(s, p, o):
            if is_system_graph(q.graph_name):
                continue
            t = ox.Triple(q.subject, q.predicate, q.object)
            if t not in self.removed:
                found.add(t)
        extra = self._added_by_s.get(s, ()) if s is not None else self._added_by_o.get(o, ())
        for t in extra:
            if (
                (p is None or t.predicate == p)
                and (o is None or t.object == o)
                and (s is None or t.subject == s)
            ):
                found.add(t)
        return iter(found)


def _named(term: Node) -> ox.NamedNode:
    converted = from_rdflib(term)
    if not isinstance(converted, ox.NamedNode):
        raise Unsupported(f"{term!r} is not an IRI")
    return converted


def _patterns(algebra: Any) -> list[tuple[Node, Any, Node]]:
    """Every triple pattern of a query, including those inside (NOT) EXISTS, which rdflib leaves
    untranslated as ``TriplesBlock`` parts with the triples as flat lists."""
    found: list[tuple[Node, Any, Node]] = []
    for node in walk_algebra(algebra):
        if node.name not in ("BGP", "TriplesBlock"):
            continue
        for triple in node.triples or []:
            flat = list(triple)
            for i in range(0, len(flat) - 2, 3):
                found.append((flat[i], flat[i + 1], flat[i + 2]))
    return found
