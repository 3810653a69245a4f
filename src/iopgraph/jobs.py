"""The jobs a sandboxed worker process runs for the service: ``JOBS[name](store, args, payload)``.

The service calls them with ``await backend.isolated(name, args, payload, timeout=...)``
(:meth:`iopgraph.store.pool.WorkerPool.call`). A job runs inside a worker
process (no network, bounded memory, killed at the timeout; see
:mod:`iopgraph.store.sandbox`) on that worker's in-memory copy of the graph (an
empty store in remote-store mode). The contract:

* ``args`` is JSON (a dict), ``payload`` opaque bytes (e.g. an uploaded body);
* a job returns ``(result, body)``: a JSON-able dict and bytes;
* a job may raise an :class:`iopgraph.core.errors.IopgraphError` subclass: the
  service re-raises the same class with the same message and JSON attributes
  (e.g. ``problem_extra`` with a validation report); any other exception
  becomes a 500 ``job-failed`` with a neutral message;
* a job must not keep state between calls other than the store it was given
  (a worker may be replaced at any time).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

#: A worker job: (the worker's store, JSON args, payload) -> (JSON result, bytes).
Job = Callable[[ox.Store, dict[str, Any], bytes], tuple[dict[str, Any], bytes]]


def echo(store: ox.Store, args: dict[str, Any], payload: bytes) -> tuple[dict[str, Any], bytes]:
    """Answer ``args`` and ``payload`` unchanged, with the worker's pid and quad count (for tests)."""
    import os

    return {"args": args, "pid": os.getpid(), "quads": len(store)}, payload


def selftest(store: ox.Store, args: dict[str, Any], payload: bytes) -> tuple[dict[str, Any], bytes]:
    """Fail the way ``args["do"]`` says, to test the isolation: ``input-error``, ``bug``, ``crash``,
    ``sleep`` (``args["seconds"]``), ``allocate`` (``args["mb"]``) or ``connect`` (``args["port"]`` on loopback)."""
    import ctypes
    import socket
    import time

    from iopgraph.core.errors import ValidationFailed

    action = args.get("do")
    if action == "input-error":
        raise ValidationFailed("the data does not conform", report={"conforms": False, "results": [1, 2]})
    if action == "bug":
        raise KeyError("internal detail that must not reach a client")
    if action == "crash":
        ctypes.string_at(0)  # a segfault, as a parser bug would cause
    if action == "sleep":
        time.sleep(float(args.get("seconds", 60)))
    if action == "allocate":
        blocks = [bytearray(1024 * 1024) for _ in range(int(args.get("mb", 1)))]
        return {"allocated_mb": len(blocks)}, b""
    if action == "connect":
        with socket.create_connection(("127.0.0.1", int(args["port"])), timeout=2):
            return {"connected": True}, b""
    return {"done": action}, b""


def screen_query(store: ox.Store, args: dict[str, Any], payload: bytes) -> tuple[dict[str, Any], bytes]:
    """Parse a SPARQL query and list its SERVICE endpoints (see :mod:`iopgraph.query.screen`)."""
    from iopgraph.query.screen import screen_query as screen

    return screen(store, args, payload)


def validate_upload(store: ox.Store, args: dict[str, Any], payload: bytes) -> tuple[dict[str, Any], bytes]:
    """Parse an upload and SHACL-validate it (see :func:`iopgraph.stewardship.jobs.validate_upload`)."""
    from iopgraph.stewardship import jobs  # rdflib and pySHACL load on the first job, not at worker start

    return jobs.validate_upload(store, args, payload)


def plan_write(store: ox.Store, args: dict[str, Any], payload: bytes) -> tuple[dict[str, Any], bytes]:
    """Parse, plan and SHACL-check a write (see :func:`iopgraph.stewardship.jobs.plan_write`)."""
    from iopgraph.stewardship import jobs

    return jobs.plan_write(store, args, payload)


def analyse_query(store: ox.Store, args: dict[str, Any], payload: bytes) -> tuple[dict[str, Any], bytes]:
    """What the lexer finds in a (large) query: :class:`iopgraph.query.lexer.QueryInfo` as JSON."""
    from dataclasses import asdict

    from iopgraph.query.lexer import analyse

    return asdict(analyse(payload.decode("utf-8", "surrogatepass"))), b""


JOBS: dict[str, Job] = {
    "echo": echo,
    "selftest": selftest,
    "screen-query": screen_query,
    "validate-upload": validate_upload,
    "plan-write": plan_write,
    "analyse-query": analyse_query,
}
