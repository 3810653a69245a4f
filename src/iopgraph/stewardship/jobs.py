"""The stewardship work that runs in isolated workers: parsing uploads, SHACL validation, planning writes.

Registered in :data:`iopgraph.jobs.JOBS` and called by the service with
``backend.isolated(name, args, payload, timeout=...)``
(:mod:`iopgraph.stewardship.isolation` builds the calls and reads the answers).
Everything here runs inside a worker process: no network, bounded memory,
killed at its time limit. A parser that crashes takes that worker down, never
the server.

* ``validate-upload``: parse the upload (``payload``), validate it alone or as a
  dry-run write into the current graph; answer the report as JSON plus the SHACL
  report graph as N-Triples.
* ``plan-write``: parse the upload (or take the SPARQL Update text), compute the
  :class:`~iopgraph.stewardship.changes.Change` against the worker's copy of the
  graph, check it with the shapes; answer the verdict as JSON and the change as
  N-Quads (removals, then additions; the header says where they split).

Blank-node labels survive the trip: the worker's store holds the labels of the
on-disk store (loaded from its N-Quads dump without renaming), so a removal of a
blank-node quad names the node the server's store holds.

In remote-store mode the worker has no graph: the service sends the current
dataset as N-Quads before the upload (``args["dataset_bytes"]`` long), and the
job loads it into a store of its own for this one call.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from iopgraph.core.errors import InputError
from iopgraph.core.media_types import RdfSyntax, syntax_by_name
from iopgraph.core.namespaces import UPLOAD_GRAPH
from iopgraph.core.rdfio import parse_bytes
from iopgraph.stewardship.changes import (
    Change,
    add_quads,
    drop_graph,
    in_graph,
    merge_into_graph,
    replace_graph,
)
from iopgraph.stewardship.checks import Checker
from iopgraph.validation import ValidationReport

#: Where an upload is imagined to go when it is validated together with the current graph.

#: Checkers by spec (parsing the shapes takes a second): kept for the life of the worker process.
_CHECKERS: dict[str, Checker] = {}

Reply = tuple[dict[str, Any], bytes]


def checker_for(spec: dict[str, Any]) -> Checker:
    key = repr(sorted(spec.items()))
    if key not in _CHECKERS:
        _CHECKERS[key] = Checker.from_spec(spec)
    return _CHECKERS[key]


def _split(store: ox.Store, args: dict[str, Any], payload: bytes) -> tuple[ox.Store, bytes]:
    """The store to plan against and the upload bytes (remote mode: the dataset comes first in the payload)."""
    size = int(args.get("dataset_bytes") or 0)
    if not size and not args.get("remote"):
        return store, payload
    source = ox.Store()
    if size:
        source.bulk_extend(ox.parse(payload[:size], ox.RdfFormat.N_QUADS))
    return source, payload[size:]


def _syntax(args: dict[str, Any]) -> RdfSyntax:
    syntax = syntax_by_name(str(args.get("syntax", "")))
    if syntax is None:
        raise InputError(f"unknown syntax {args.get('syntax')!r}")
    return syntax


def _parse(
    args: dict[str, Any], data: bytes, graph: ox.NamedNode | ox.DefaultGraph | None = None
) -> list[ox.Quad]:
    return parse_bytes(
        data,
        _syntax(args),
        str(args.get("source", "request body")),
        graph,
        args.get("base_iri"),
        max_quads=args.get("max_quads"),
        max_depth=int(args.get("max_depth", 64)),
    )


def _parse_parts(args: dict[str, Any], data: bytes) -> list[ox.Quad]:
    """The quads of every part of a write's payload (one upload, or the parts of a multipart body)."""
    parts = args.get("parts") or [
        {"syntax": args.get("syntax"), "source": args.get("source"), "bytes": len(data)}
    ]
    quads: list[ox.Quad] = []
    offset = 0
    max_quads = args.get("max_quads")
    for part in parts:
        size = int(part["bytes"])
        limit = None if max_quads is None else max(int(max_quads) - len(quads), 0)
        quads.extend(_parse({**args, **part, "max_quads": limit}, data[offset : offset + size]))
        offset += size
    return quads


def nquads(quads: list[ox.Quad]) -> bytes:
    return (ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"") if quads else b""


def _report_reply(report: ValidationReport, **meta: Any) -> Reply:
    body = report.report_graph.serialize(format="nt", encoding="utf-8")
    return {"report": report.to_json(), **meta}, body


def validate_upload(store: ox.Store, args: dict[str, Any], payload: bytes) -> Reply:
    """The SHACL report of an upload: alone (with the ontology) or as a dry-run write into the current graph."""
    source, data = _split(store, args, payload)
    checker = checker_for(args["checker"])
    quads = _parse(args, data)
    if not args.get("with_current"):
        return _report_reply(checker.validate_upload(quads), mode="upload", triples=len(quads))
    change = Change([], in_graph(quads, ox.NamedNode(UPLOAD_GRAPH)), "validate").normalised(source)
    check = checker.check_change(source, change, str(args.get("mode", "neighbourhood")), None)
    return _report_reply(check.report, mode=f"with-current ({check.mode})", triples=len(quads))


def _graph(args: dict[str, Any]) -> ox.NamedNode | ox.DefaultGraph | None:
    name = args.get("graph")
    if name is None:
        return None
    return ox.DefaultGraph() if name == "" else ox.NamedNode(str(name))


def _change(source: ox.Store, args: dict[str, Any], data: bytes) -> Change:
    kind = args["kind"]
    if kind == "update":
        from iopgraph.stewardship.sparql_update import UpdateOptions, update_change

        options = UpdateOptions.from_json(args.get("options") or {})
        return update_change(source, str(args["text"]), options)
    graph = _graph(args)
    if kind == "drop":
        assert graph is not None
        return drop_graph(source, graph)
    quads = _parse_parts(args, data)
    if args.get("triples_only") and any(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads):
        raise InputError(
            "the JSON-LD document has named graphs (a @graph with an @id); a graph takes triples: "
            "send it to /store without ?graph, or drop the graph names"
        )
    if kind == "add":
        return add_quads(source, quads)
    assert graph is not None
    if kind == "dataset-or-new" and any(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads):
        return add_quads(source, quads)
    if kind in ("create", "dataset-or-new"):
        if not quads:
            raise InputError("the document holds no triples: there is no graph to create")
        return merge_into_graph(source, graph, quads)
    if kind == "replace":
        return replace_graph(source, graph, quads)
    if kind == "merge":
        return merge_into_graph(source, graph, quads)
    raise InputError(f"unknown write {kind!r}")


def plan_write(store: ox.Store, args: dict[str, Any], payload: bytes) -> Reply:
    """Compute and check a write; the change comes back as N-Quads (``remove_bytes`` of removals, then additions)."""
    source, data = _split(store, args, payload)
    change = _change(source, args, data)
    change.check_writable()
    header: dict[str, Any] = {"operation": change.operation, "created": change.created}
    if not change.is_empty:
        checker = checker_for(args["checker"])
        check = checker.check_change(
            source, change, str(args.get("mode", "neighbourhood")), args.get("version")
        )
        header.update(
            accepted=check.accepted,
            report=check.report.to_json(),
            check_mode=check.mode,
            focus_nodes=check.focus_nodes,
        )
        if not check.accepted:
            return header, b""
    remove = nquads(change.remove)
    header["remove_bytes"] = len(remove)
    return header, remove + nquads(change.add)
