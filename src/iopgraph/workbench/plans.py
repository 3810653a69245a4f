"""The write plans of the workbench, run by the gate (``WriteGate.write(plan, agent, dry_run=…)``).

    plan = resource_plan(iri, graph, triples, paths={...})   # the form's paths get exactly ``triples``
    plan = resource_plan(iri, graph, snapshot, paths=None)   # revert: the resource becomes ``snapshot``

A plan runs against the store as it is when the gate runs it (so a proposal accepted
later is planned, and checked, against the graph at acceptance). It replaces, in the
resource's steward graph, the resource's statements on ``paths`` (all its statements
when ``paths`` is None) and keeps every other quad of that graph, through
:func:`iopgraph.stewardship.changes.replace_graph`. Statements the shipped files already
hold are not repeated; removing one is refused (403): shipped data changes in its file.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox

from iopgraph.stewardship.changes import Change, ProtectedGraph, is_file_graph, replace_graph

Plan = Callable[[ox.Store], Change]
OPERATION = "edit resource in the workbench"


def _in_shipped(source: ox.Store, t: ox.Triple) -> str | None:
    for q in source.quads_for_pattern(t.subject, t.predicate, t.object):
        if is_file_graph(q.graph_name):
            assert isinstance(q.graph_name, ox.NamedNode)
            return q.graph_name.value
    return None


def resource_plan(
    iri: str, graph: str, triples: list[ox.Triple], paths: set[str] | None, operation: str = OPERATION
) -> Plan:
    """A plan giving ``iri`` exactly ``triples`` on ``paths`` (all paths when None), in ``graph``."""
    subject = ox.NamedNode(iri)
    name = ox.NamedNode(graph)

    def concerned(predicate: ox.NamedNode) -> bool:
        return paths is None or predicate.value in paths

    def plan(source: ox.Store) -> Change:
        wanted = set(triples)
        for q in source.quads_for_pattern(subject, None, None):
            t = ox.Triple(q.subject, q.predicate, q.object)
            if is_file_graph(q.graph_name) and concerned(q.predicate) and t not in wanted:
                assert isinstance(q.graph_name, ox.NamedNode)
                raise ProtectedGraph(
                    f"“{q.predicate.value} {q.object}” comes from the shipped graph <{q.graph_name.value}>: "
                    "change it in its file under data/ and run `iopgraph build` (the workbench can add "
                    "statements to a shipped resource, not remove them)"
                )
        keep = [
            q
            for q in source.quads_for_pattern(None, None, None, name)
            if not (q.subject == subject and concerned(q.predicate))
        ]
        new = [
            ox.Quad(t.subject, t.predicate, t.object, name)
            for t in sorted(wanted, key=str)
            if _in_shipped(source, t) is None
        ]
        change = replace_graph(source, name, [*keep, *new])
        change.operation = operation
        return change

    return plan
