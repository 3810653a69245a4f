"""A query worker: a sandboxed, in-memory copy of the graph that answers queries and jobs one at a time.

Workers are forked by the zygote (:mod:`iopgraph.store.zygote`), which entered
the sandbox (:mod:`iopgraph.store.sandbox`: no network unless allowed, an
address-space limit, no core files) and loaded the snapshot (:func:`load`)
before any client input exists; a worker shares the zygote's copy of the graph
copy-on-write. :func:`serve` says ``ready`` with the sandbox report, then
answers messages (see :mod:`wire`), all in one thread with a big stack:

* ``{"op": "query", ...QueryJob}`` → ``{"ok": true, "count", "truncated", "cut"}`` + body,
  or ``{"ok": false, "error": "syntax"|"network"|"engine", "message"}`` ("network": a SERVICE fetch failed);
* ``{"op": "apply"}`` + N-Quads payload ``REMOVE\\0ADD``: apply a write (no answer);
* ``{"op": "call", "job": NAME, "args": {...}}`` + payload: run
  ``iopgraph.jobs.JOBS[NAME](store, args, payload) -> (dict, bytes)``
  (the module is imported on the first call) and answer
  ``{"ok": true, "result": dict}`` + bytes. A job raising an
  :class:`~iopgraph.core.errors.IopgraphError` answers ``{"ok": false, "error":
  "iopgraph", "class": "module.Class", "message", "attrs": {JSON attributes}}``
  (the service re-raises it as that class; JSON only, never pickle); any
  other exception ``{"ok": false, "error": "internal", "message"}``.

Running out of memory (``MemoryError``, or an allocation failing inside
Oxigraph) ends the process: the service sees the socket close and replaces it.
A query or job that runs too long is not interrupted here: the service kills
the whole process, the only way to stop Oxigraph in the middle of an aggregate.
"""

from __future__ import annotations

import os
import resource
from typing import Any, BinaryIO

from iopgraph.store import wire


def private_stdout() -> BinaryIO:
    """The message channel: the real stdout, with fd 1 pointed at stderr so stray prints cannot corrupt it."""
    channel = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    return channel


def apply(store: Any, payload: bytes) -> None:
    import pyoxigraph as ox

    remove, _, add = payload.partition(b"\0")
    if remove:
        for quad in ox.parse(remove, ox.RdfFormat.N_QUADS):
            store.remove(quad)
    if add:
        store.extend(ox.parse(add, ox.RdfFormat.N_QUADS))


def _jsonable(value: object) -> bool:
    import json

    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


#: The module that holds the job table. It is named, not imported, because the jobs (validation,
#: write planning, query analysis) live in the layers above the store: the store layer runs them
#: without depending on them (see docs/architecture.md).
JOB_TABLE_MODULE = "iopgraph.jobs"


def _job_table() -> dict[str, Any]:
    import importlib

    table: dict[str, Any] = importlib.import_module(JOB_TABLE_MODULE).JOBS
    return table


def _call(store: Any, header: dict[str, Any], payload: bytes) -> bytes:
    from iopgraph.core.errors import IopgraphError

    name = header.get("job")
    job = _job_table().get(name) if isinstance(name, str) else None
    if job is None:
        return wire.encode({"ok": False, "error": "internal", "message": f"no job called {name!r}"})
    try:
        result, body = job(store, header.get("args") or {}, payload)
    except MemoryError:
        raise
    except IopgraphError as exc:
        attrs = {
            k: v for k, v in vars(exc).items() if k != "message" and not k.startswith("_") and _jsonable(v)
        }
        return wire.encode(
            {
                "ok": False,
                "error": "iopgraph",
                "class": f"{type(exc).__module__}.{type(exc).__qualname__}",
                "message": exc.message,
                "attrs": attrs,
            }
        )
    except Exception as exc:  # reported, the worker lives on
        return wire.encode(
            {"ok": False, "error": "internal", "message": f"{type(exc).__name__}: {exc}"[:2000]}
        )
    if not _jsonable(result):
        return wire.encode(
            {"ok": False, "error": "internal", "message": f"job {name} returned a non-JSON result"}
        )
    return wire.encode({"ok": True, "result": result}, body)


def _query(store: Any, header: dict[str, Any]) -> bytes:
    from iopgraph.store.engine import QueryJob, execute

    try:
        outcome = execute(store, QueryJob.from_header(header))
    except MemoryError:
        raise
    except SyntaxError as exc:
        return wire.encode({"ok": False, "error": "syntax", "message": str(exc)})
    except OSError as exc:  # the in-memory store does no I/O but the HTTP client of SERVICE
        return wire.encode({"ok": False, "error": "network", "message": str(exc)[:1000]})
    except Exception as exc:  # the engine's errors are reported, the worker lives on
        return wire.encode({"ok": False, "error": "engine", "message": f"{type(exc).__name__}: {exc}"[:4000]})
    return wire.encode(
        {"ok": True, "count": outcome.count, "truncated": outcome.truncated, "cut": outcome.cut}, outcome.body
    )


#: Quads handed to ``bulk_extend`` at a time while a snapshot loads: a list of every quad first would
#: hold them all as Python objects beside the store (at 1M quads the peak was 640 MB for a 410 MB store).
LOAD_CHUNK = 100_000


def load(snapshot: str) -> Any:
    """An in-memory store holding the N-Quads ``snapshot`` (an empty file: an empty store)."""
    import itertools

    import pyoxigraph as ox

    store = ox.Store()
    if os.path.getsize(snapshot):
        # Labels kept (load and bulk_load rename blank nodes): a write planned here names the on-disk
        # store's nodes. Lenient: the snapshot is the service's own dump of its store (Oxigraph's writer),
        # so its IRIs were checked when they entered the store. In chunks: 1M quads load in ~4.7 s with a
        # peak of ~420 MB (``bulk_extend`` of the whole parse: ~5.7 s, ~640 MB).
        quads = ox.parse(path=snapshot, format=ox.RdfFormat.N_QUADS, lenient=True)
        while chunk := list(itertools.islice(quads, LOAD_CHUNK)):
            store.bulk_extend(chunk)
    return store


#: A query or job shorter than this cannot have touched much of the graph: no memory check after it.
RECYCLE_CHECK_AFTER = 0.05


def private_dirty_mb() -> float:
    """This process's private written memory (MB): its own heap plus the zygote's pages it has copied."""
    try:
        for line in open("/proc/self/smaps_rollup", encoding="ascii"):
            if line.startswith("Private_Dirty:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


#: Megabytes of new page faults after which the private memory is read again (see :class:`PrivateMemory`).
RECHECK_MB = 16.0


def _huge_pages_always() -> bool:
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled", encoding="ascii") as mode:
            return "[always]" in mode.read()
    except OSError:
        return False


class PrivateMemory:
    """This worker's private memory, with ``smaps_rollup`` (~5 ms at 1M triples) read only when it may
    have grown by :data:`RECHECK_MB`: every page a process copies or allocates costs it a minor page
    fault first (``getrusage``, ~1 µs), so the last reading plus the faults since bounds it from above.
    A warm worker that runs a heavy query again copies nothing and is not read again. (Where
    transparent huge pages are always on, one fault can bring 2 MB: then it is read every time.)"""

    def __init__(self) -> None:
        self._page_mb = resource.getpagesize() / 2**20
        self._exact = _huge_pages_always()
        self._mb: float | None = None
        self._at = 0
        #: The page faults at the latest :meth:`mb`: what it returned holds up to them (the pool adds the
        #: faults since, read from ``/proc``, while this worker is busy: :mod:`iopgraph.store.copy_guard`).
        self.faults = 0

    @staticmethod
    def _faults() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    def mb(self) -> float:
        faults = self._faults()
        grown = (faults - self._at) * self._page_mb
        if self._mb is None or self._exact or grown >= RECHECK_MB:
            self._mb, self._at = private_dirty_mb(), self._faults()
            self.faults = self._at
            return self._mb
        self.faults = faults
        return self._mb + grown


def _with(reply: bytes, **fields: Any) -> bytes:
    """``reply`` with ``fields`` added to its header (``retire``, ``private_mb``)."""
    head_len, _ = wire.PREFIX.unpack_from(reply)
    header = wire.decode_header(reply[wire.PREFIX.size : wire.PREFIX.size + head_len])
    return wire.encode({**header, **fields}, reply[wire.PREFIX.size + head_len :])


def serve(
    store: Any, inbox: BinaryIO, outbox: Any, report: dict[str, Any] | None = None, recycle_mb: float = 0
) -> None:
    """Say ready, then answer messages from ``inbox`` on ``outbox`` until ``inbox`` ends.

    After a query or job that itself took :data:`RECYCLE_CHECK_AFTER` or longer, the reply carries this
    worker's private memory (``private_mb``; a scan writes reference counts into the graph's pages, so
    copy-on-write copies them): the pool keeps the warmest worker for the next query and recycles one
    when the workers' copies together pass the budget. With ``recycle_mb``, a worker whose own private
    memory passed it says ``retire`` with its answer and ends; the pool forks a fresh one, which
    shares the zygote's pages again."""
    import time

    outbox.write(wire.encode({"ok": True, "ready": True, "pid": os.getpid(), **(report or {})}))
    memory = PrivateMemory()
    while True:
        message = wire.read_blocking(inbox)
        if message is None:
            return
        started = time.monotonic()  # the work's time, not the wait for it (a check after idle costs ~10 ms)
        header, payload = message
        op = header.pop("op", None)
        if op == "apply":
            apply(store, payload)
            continue
        if op == "query":
            reply = _query(store, header)
        elif op == "call":
            reply = _call(store, header, payload)
        else:
            reply = wire.encode({"ok": False, "error": "engine", "message": f"unknown operation {op!r}"})
        if recycle_mb and time.monotonic() - started >= RECYCLE_CHECK_AFTER:
            private = memory.mb()
            if private > recycle_mb:
                outbox.write(_with(reply, retire=True, private_mb=round(private, 1)))
                return
            reply = _with(reply, private_mb=round(private, 1), faults=memory.faults)
        outbox.write(reply)
