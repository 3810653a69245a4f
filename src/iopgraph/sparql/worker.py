"""A query worker process: an in-memory copy of the graph that answers queries one at a time.

Started by :mod:`iopgraph.sparql.pool` as ``python -m iopgraph.sparql.worker SNAPSHOT.nq``.
It loads the N-Quads snapshot into an in-memory Oxigraph store, says ``ready``,
then reads messages from stdin and answers on stdout (see :mod:`wire`):

* ``{"op": "query", ...QueryJob}`` → ``{"ok": true, "count", "truncated"}`` + body,
  or ``{"ok": false, "error": "syntax"|"engine", "message"}``;
* ``{"op": "apply"}`` + N-Quads payload ``REMOVE\\0ADD``: apply a write (no answer).

A query that runs too long is not interrupted here: the service kills the whole
process, which is the only way to stop Oxigraph in the middle of an aggregate.
"""

from __future__ import annotations

import os
import sys
from typing import BinaryIO

import pyoxigraph as ox

from iopgraph.sparql import wire
from iopgraph.sparql.engine import QueryJob, execute


def _private_stdout() -> BinaryIO:
    """The message channel: the real stdout, with fd 1 pointed at stderr so stray prints cannot corrupt it."""
    channel = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    return channel


def _apply(store: ox.Store, payload: bytes) -> None:
    remove, _, add = payload.partition(b"\0")
    if remove:
        for quad in ox.parse(remove, ox.RdfFormat.N_QUADS):
            store.remove(quad)
    if add:
        store.extend(ox.parse(add, ox.RdfFormat.N_QUADS))


def serve(snapshot: str, inbox: BinaryIO, outbox: BinaryIO) -> None:
    store = ox.Store()
    if os.path.getsize(snapshot):
        store.bulk_load(path=snapshot, format=ox.RdfFormat.N_QUADS)
    outbox.write(wire.encode({"ok": True, "ready": True, "pid": os.getpid()}))
    while True:
        message = wire.read_blocking(inbox)
        if message is None:
            return
        header, payload = message
        op = header.pop("op", None)
        if op == "apply":
            _apply(store, payload)
            continue
        if op != "query":
            outbox.write(wire.encode({"ok": False, "error": "engine", "message": f"unknown operation {op!r}"}))
            continue
        try:
            outcome = execute(store, QueryJob.from_header(header))
        except SyntaxError as exc:
            reply = wire.encode({"ok": False, "error": "syntax", "message": str(exc)})
        except Exception as exc:  # noqa: BLE001 - the engine's errors are reported, the worker lives on
            reply = wire.encode({"ok": False, "error": "engine", "message": f"{type(exc).__name__}: {exc}"})
        else:
            reply = wire.encode({"ok": True, "count": outcome.count, "truncated": outcome.truncated}, outcome.body)
        outbox.write(reply)


def main() -> None:
    outbox = _private_stdout()
    serve(sys.argv[1], sys.stdin.buffer, outbox)


if __name__ == "__main__":
    main()
