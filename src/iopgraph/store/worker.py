"""A worker process: a sandboxed, in-memory copy of the graph that answers queries and jobs one at a time.

Started by :mod:`iopgraph.store.pool` as
``python -m iopgraph.store.worker SNAPSHOT.nq [--memory-mb N] [--keep-network]``.
Before it reads anything it enters the sandbox (:mod:`iopgraph.store.sandbox`: no
network unless ``--keep-network``, an address-space limit, no core files);
then it loads the N-Quads snapshot (an empty file: a graph-less worker, as in
remote-store mode) into an in-memory Oxigraph store, says ``ready`` with the
sandbox report, and answers messages from stdin on stdout (see :mod:`wire`),
all in one thread with a big stack:

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
Oxigraph) ends the process: the service sees the pipe close and replaces it.
A query or job that runs too long is not interrupted here: the service kills
the whole process, the only way to stop Oxigraph in the middle of an aggregate.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, BinaryIO

from iopgraph.store import sandbox, wire


def _private_stdout() -> BinaryIO:
    """The message channel: the real stdout, with fd 1 pointed at stderr so stray prints cannot corrupt it."""
    channel = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    return channel


def _apply(store: Any, payload: bytes) -> None:
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


def serve(snapshot: str, inbox: BinaryIO, outbox: BinaryIO, report: dict[str, Any] | None = None) -> None:
    import pyoxigraph as ox

    store = ox.Store()
    if os.path.getsize(snapshot):
        # Labels kept (bulk_load renames blank nodes): a write planned here names the on-disk store's nodes.
        store.bulk_extend(ox.parse(path=snapshot, format=ox.RdfFormat.N_QUADS))
    outbox.write(wire.encode({"ok": True, "ready": True, "pid": os.getpid(), **(report or {})}))
    while True:
        message = wire.read_blocking(inbox)
        if message is None:
            return
        header, payload = message
        op = header.pop("op", None)
        if op == "apply":
            _apply(store, payload)
            continue
        if op == "query":
            reply = _query(store, header)
        elif op == "call":
            reply = _call(store, header, payload)
        else:
            reply = wire.encode({"ok": False, "error": "engine", "message": f"unknown operation {op!r}"})
        outbox.write(reply)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="iopgraph.store.worker")
    parser.add_argument("snapshot")
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--keep-network", action="store_true")
    options = parser.parse_args(argv)
    report = sandbox.apply(keep_network=options.keep_network, memory_mb=options.memory_mb or None)
    outbox = _private_stdout()
    try:
        sandbox.run_with_big_stack(
            lambda: serve(options.snapshot, sys.stdin.buffer, outbox, report.as_header())
        )
    except MemoryError:
        os._exit(70)  # state unknown: the service replaces this worker


if __name__ == "__main__":
    main()
