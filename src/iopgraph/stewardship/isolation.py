"""The server's side of isolated stewardship work: write plans as data, job calls, answers read back.

The server never parses, validates or plans untrusted input itself (see
:mod:`iopgraph.stewardship.jobs` for what runs in the workers). It describes the
work as JSON plus the raw bytes, sends it to a sandboxed worker with a time
limit, and reads back only JSON and N-Quads/N-Triples (flat formats whose
parsers do not recurse).

    plan = update_plan(text)                                  # or graph_plan("replace", graph, upload, base)
    outcome = await steward.gate.write(plan, agent, client=request)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import pyoxigraph as ox
import rdflib

from iopgraph.core.errors import IopgraphError
from iopgraph.core.namespaces import PREFIXES
from iopgraph.core.rdfio import screen
from iopgraph.query.errors import JobTimeout
from iopgraph.stewardship.changes import Change, GraphName, is_system_graph
from iopgraph.stewardship.sparql_update import UpdateOptions
from iopgraph.stewardship.uploads import RdfUpload
from iopgraph.store.backend import Backend
from iopgraph.validation import ValidationReport, ValidationResult


class IsolatedTimeout(IopgraphError):
    """An upload's validation or a write's planning ran past its limit: stopped, nothing written."""

    status = 503
    code = "stopped-at-time-limit"


class ClientGone(IopgraphError):
    """The client hung up while its write was being planned: the write was abandoned (not committed)."""

    status = 499
    code = "client-closed-request"


@dataclass(frozen=True)
class Limits:
    """The settings isolated stewardship work runs under."""

    checker: dict[str, Any]  # checker_spec(...)
    validation_timeout: float = 30.0
    write_timeout: float = 60.0
    max_quads: int = 200_000
    max_depth: int = 64


@dataclass(frozen=True)
class WritePlan:
    """A write described as data: ``args`` (JSON) and ``payload`` (the upload's bytes), planned in a worker."""

    args: dict[str, Any]
    payload: bytes = b""
    upload: RdfUpload | None = field(default=None, repr=False)


def update_plan(text: str, options: UpdateOptions | None = None) -> WritePlan:
    """A SPARQL Update (planned by rdflib in the worker, on its copy of the graph)."""
    return WritePlan({"kind": "update", "text": text, "options": (options or UpdateOptions()).to_json()})


def _graph_arg(graph: GraphName | None) -> str | None:
    if graph is None:
        return None
    return graph.value if isinstance(graph, ox.NamedNode) else ""


def graph_plan(
    kind: str,
    graph: GraphName | None,
    upload: RdfUpload | list[RdfUpload],
    base_iri: str | None = None,
    triples_only: bool = False,
) -> WritePlan:
    """A Graph Store write of one upload or several (multipart parts, merged into one write):
    ``replace`` (PUT), ``merge`` (POST ?graph, or a new graph), ``add`` (POST quads)."""
    uploads = upload if isinstance(upload, list) else [upload]
    parts = [{"syntax": u.syntax.name, "source": u.source, "bytes": len(u.data)} for u in uploads]
    return WritePlan(
        {
            "kind": kind,
            "graph": _graph_arg(graph),
            "parts": parts,
            "base_iri": base_iri,
            "triples_only": triples_only,
        },
        b"".join(u.data for u in uploads),
        uploads[0],
    )


def drop_plan(graph: GraphName) -> WritePlan:
    """DELETE of a graph."""
    return WritePlan({"kind": "drop", "graph": _graph_arg(graph)})


async def screen_upload(upload: RdfUpload, limits: Limits) -> None:
    """The fast first answer (400) before any worker: UTF-8, XML entities, nesting depth (in a thread)."""
    await anyio.to_thread.run_sync(screen, upload.data, upload.syntax, upload.source, limits.max_depth)


@dataclass(frozen=True)
class Reads:
    """What an isolated job reads of the current dataset, hence what a remote store must send it.

    ``everything``: every graph; else the graphs named in ``graphs`` (``""``: the default graph), and
    with ``data`` every graph but the system graphs (provenance, releases).
    """

    everything: bool = False
    data: bool = False
    graphs: tuple[str, ...] = ()


EVERYTHING = Reads(everything=True)


def write_reads(args: dict[str, Any], has_shapes: bool) -> Reads:
    """The graphs a write plan (``args`` of a :class:`WritePlan`) reads.

    A SPARQL Update may read any graph in its WHERE: all of them. SHACL validation follows links
    across the data graphs (a linked node's type, a class hierarchy) but never reads the system
    graphs, which no write may touch either. Without shapes, a write to one graph reads that graph.
    """
    kind = args.get("kind")
    if kind == "update":
        return EVERYTHING
    graph = args.get("graph")
    named = (str(graph),) if graph is not None else ()
    if not has_shapes and named and kind in ("replace", "merge", "create", "drop"):
        return Reads(graphs=named)
    return Reads(data=True, graphs=named)


def upload_reads(with_current: bool) -> Reads:
    """An upload validated on its own reads nothing; with the current graph, the data graphs."""
    return Reads(data=with_current)


async def dataset_prefix(backend: Backend, reads: Reads) -> bytes | None:
    """Remote-store mode: the graphs a job ``reads``, as N-Quads, sent ahead of its payload (the worker
    has no graph). None for the embedded store, whose workers hold the graph already.
    """
    if backend.holds_graph:
        return None
    if reads.everything:
        return await backend.nquads()
    names = set(reads.graphs)
    if reads.data:
        names |= {g for g in await backend.graph_names() if not is_system_graph(ox.NamedNode(g))}
    return await backend.nquads(names)


async def run_job(
    backend: Backend,
    job: str,
    args: dict[str, Any],
    payload: bytes,
    timeout: float,
    what: str,
    setting: str,
    disconnected: Callable[[], Awaitable[bool]] | None = None,
    reads: Reads = EVERYTHING,
) -> tuple[dict[str, Any], bytes]:
    """``backend.isolated`` with a clear 503 at the time limit and, given ``disconnected``, abandoned
    (the worker killed) as soon as the client hangs up. ``reads``: the graphs the job reads
    (:func:`write_reads`, :func:`upload_reads`), sent along in remote-store mode."""
    prefix = await dataset_prefix(backend, reads)
    if prefix is not None:
        args = {**args, "dataset_bytes": len(prefix), "remote": True}
        payload = prefix + payload
    call = asyncio.ensure_future(backend.isolated(job, args, payload, timeout=timeout))
    watch = asyncio.ensure_future(_watch(disconnected)) if disconnected is not None else None
    try:
        done, _ = await asyncio.wait({call, *([watch] if watch else [])}, return_when=asyncio.FIRST_COMPLETED)
        if call not in done:
            call.cancel()  # the pool kills the worker that ran it
            with contextlib.suppress(BaseException):
                await call
            raise ClientGone(
                f"the client closed the connection; the {what} was abandoned and nothing was written"
            )
        return call.result()
    except JobTimeout:
        raise IsolatedTimeout(
            f"the {what} was stopped after {timeout:g} s, the limit set by {setting}; nothing "
            "was written. Split the data into smaller parts, or ask the operator for a longer "
            "limit"
        ) from None
    finally:
        if watch is not None:
            watch.cancel()
        if not call.done():
            call.cancel()


async def _watch(disconnected: Callable[[], Awaitable[bool]]) -> None:
    while not await disconnected():
        await asyncio.sleep(0.2)


def report_from(summary: dict[str, Any], ntriples: bytes = b"") -> ValidationReport:
    """A :class:`ValidationReport` from a worker's JSON summary and its SHACL report graph (N-Triples)."""
    results = [
        ValidationResult(**{**r, "source_files": tuple(r.get("source_files") or ())})
        for r in summary.get("results", [])
    ]
    graph = rdflib.Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    if ntriples:
        graph.parse(data=ntriples, format="nt")
    return ValidationReport(results, graph)


def change_from(header: dict[str, Any], body: bytes) -> Change:
    """The :class:`Change` a worker planned, from its N-Quads (removals first, ``remove_bytes`` long)."""
    split = int(header.get("remove_bytes") or 0)

    def quads(data: bytes) -> list[ox.Quad]:
        return list(ox.parse(data, ox.RdfFormat.N_QUADS)) if data else []

    return Change(
        quads(body[:split]),
        quads(body[split:]),
        str(header.get("operation", "update")),
        bool(header.get("created")),
    )
