"""What a write changes: quads to remove and quads to add, computed against the store as it is.

    change = replace_graph(store, graph, quads)    # PUT  /store?graph=...
    change = merge_into_graph(store, graph, quads) # POST /store?graph=...
    change = drop_graph(store, graph)              # DELETE /store?graph=...

A change is *normalised*: it removes only quads the store holds and adds only
quads it lacks, so re-sending the same graph is an empty change, and
provenance counts what really changed.

Protected graphs cannot be changed by any write (Graph Store, SPARQL Update,
``iopgraph load``): the file-backed graphs (``…/graph/data/…``,
``…/graph/ontology/…``, ``…/graph/served/…``), which change through their files
and ``iopgraph build``, and the system graphs (provenance, releases), which hold
the service's own records. A write naming one is refused (403
``protected-graph``); docs/conformance.md says how patterns (``CLEAR ALL``,
``GRAPH ?g``) treat them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib

from iopgraph.core.errors import Forbidden, GraphNotFound
from iopgraph.core.namespaces import (
    CONTRIB_GRAPHS,
    FILE_GRAPH_PREFIXES,
    GRAPH,
    PROVENANCE_GRAPH,
    RELEASES_GRAPH,
)
from iopgraph.core.rdfio import to_rdflib
from iopgraph.store.store_version import SYSTEM_GRAPH as STORE_SYSTEM_GRAPH

# The store's own bookkeeping (version, write lease) in remote-store mode is a system graph too.
SYSTEM_GRAPHS = frozenset({PROVENANCE_GRAPH, RELEASES_GRAPH, STORE_SYSTEM_GRAPH})

GraphName = ox.NamedNode | ox.DefaultGraph


def is_system_graph(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> bool:
    return isinstance(graph, ox.NamedNode) and graph.value in SYSTEM_GRAPHS


class ProtectedGraph(Forbidden):
    code = "protected-graph"


def is_file_graph(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> bool:
    """A graph filled from the project's files (replaced by every ``iopgraph build``)."""
    return isinstance(graph, ox.NamedNode) and graph.value.startswith(FILE_GRAPH_PREFIXES)


def is_protected(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> bool:
    """No write may change this graph: file-backed or kept by the service."""
    return is_system_graph(graph) or is_file_graph(graph)


def protected_graph_error(graph: ox.NamedNode) -> ProtectedGraph:
    """The 403 for a write naming a protected graph, saying how to contribute instead."""
    if is_system_graph(graph):
        return ProtectedGraph(
            f"the graph <{graph.value}> is kept by the service (its own records) and cannot be written"
        )
    source = graph.value[len(GRAPH) :]
    return ProtectedGraph(
        f"the graph <{graph.value}> is built from the project's file {source}.* and cannot be changed by a write: "
        f"edit that file and run `iopgraph build`, or write your data to a steward graph of your own, "
        f"e.g. <{CONTRIB_GRAPHS}<name>>"
    )


def graph_label(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
    """The graph's IRI, or ``default`` for the default graph."""
    return graph.value if isinstance(graph, ox.NamedNode) else "default"


@dataclass
class Change:
    """Quads to remove and to add, in one transaction."""

    remove: list[ox.Quad] = field(default_factory=list)
    add: list[ox.Quad] = field(default_factory=list)
    operation: str = "update"
    created: bool = False  # a graph that did not exist before gets content (201 Created)

    @property
    def is_empty(self) -> bool:
        return not self.remove and not self.add

    @property
    def graphs(self) -> list[str]:
        """The graphs this change touches (``default`` for the default graph), sorted."""
        return sorted({graph_label(q.graph_name) for q in (*self.remove, *self.add)})

    def normalised(self, source: ox.Store) -> Change:
        """Drop removals of absent quads, additions of present ones, and quads both removed and added."""
        remove = {q for q in self.remove if _contains(source, q)}
        add = {q for q in self.add if q not in remove and not _contains(source, q)}
        remove -= set(self.add)
        return Change(sorted(remove, key=str), sorted(add, key=str), self.operation, self.created)

    def check_writable(self) -> None:
        """Raise 403 (``protected-graph``) when the change touches a protected graph."""
        for q in (*self.remove, *self.add):
            if is_protected(q.graph_name):
                assert isinstance(q.graph_name, ox.NamedNode)
                raise protected_graph_error(q.graph_name)

    # -- effect on the union graph validation sees ------------------------------------------------

    def union_removed(self, source: ox.Store) -> set[ox.Triple]:
        """Triples that leave the union graph: every (non-system) graph holding them loses them."""
        removed = set(self.remove)
        added = {
            ox.Triple(q.subject, q.predicate, q.object) for q in self.add if not is_system_graph(q.graph_name)
        }
        gone = set()
        for q in self.remove:
            t = ox.Triple(q.subject, q.predicate, q.object)
            if t in added or t in gone:
                continue
            holders = [
                h
                for h in source.quads_for_pattern(q.subject, q.predicate, q.object)
                if not is_system_graph(h.graph_name) and h not in removed
            ]
            if not holders:
                gone.add(t)
        return gone

    def union_added(self) -> set[ox.Triple]:
        return {
            ox.Triple(q.subject, q.predicate, q.object) for q in self.add if not is_system_graph(q.graph_name)
        }

    def apply_to(self, graph: rdflib.Graph, source: ox.Store) -> None:
        """Make the rdflib ``graph`` (the union before the change) the union after it."""
        for t in self.union_removed(source):
            graph.remove((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        for t in self.union_added():
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))


def _contains(source: ox.Store, q: ox.Quad) -> bool:
    return any(True for _ in source.quads_for_pattern(q.subject, q.predicate, q.object, q.graph_name))


def graph_exists(source: ox.Store, graph: GraphName) -> bool:
    """The default graph always exists; a named graph exists while it holds quads (as in the dumps)."""
    if isinstance(graph, ox.DefaultGraph):
        return True
    return any(True for _ in source.quads_for_pattern(None, None, None, graph))


def in_graph(quads: Iterable[ox.Quad], graph: GraphName) -> list[ox.Quad]:
    return [ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads]


def replace_graph(source: ox.Store, graph: GraphName, quads: Iterable[ox.Quad]) -> Change:
    """PUT: the graph holds exactly ``quads`` afterwards."""
    existed = graph_exists(source, graph)
    current = list(source.quads_for_pattern(None, None, None, graph))
    change = Change(current, in_graph(quads, graph), "replace graph", created=not existed)
    return change.normalised(source)


def merge_into_graph(source: ox.Store, graph: GraphName, quads: Iterable[ox.Quad]) -> Change:
    """POST: ``quads`` are added to the graph."""
    existed = graph_exists(source, graph)
    return Change([], in_graph(quads, graph), "add to graph", created=not existed).normalised(source)


def add_quads(source: ox.Store, quads: Iterable[ox.Quad]) -> Change:
    """POST to the dataset: each quad goes into its own graph."""
    return Change([], list(quads), "add to dataset").normalised(source)


def drop_graph(source: ox.Store, graph: GraphName) -> Change:
    """DELETE: the graph loses all its quads (403 for a protected graph, 404 when it holds none)."""
    if isinstance(graph, ox.NamedNode) and is_protected(graph):
        raise protected_graph_error(graph)
    current = list(source.quads_for_pattern(None, None, None, graph))
    if not current and isinstance(graph, ox.NamedNode):
        raise GraphNotFound(f"there is no graph <{graph_label(graph)}> in the store")
    return Change(current, [], "drop graph")
