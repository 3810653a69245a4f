"""Is the service ready to answer? The checks behind ``GET /readyz``.

    report = await readiness(app.state)
    report.ready, report.checks      # {"store": "open", "query": "ok", "query_workers": 2}

Liveness (``/healthz``) only says the process answers HTTP. Readiness says a
query can be answered now: the lifespan has opened (and, if needed, built) the
store, the store answers a trivial query within ``timeout`` seconds (in
remote-store mode: the remote endpoint is reachable), and at least one query
worker process is alive. A load balancer should send traffic only to ready
replicas; a remote store going down turns readiness off until it is back.

``checks`` also reports the sandbox of the worker processes
(:mod:`iopgraph.store.sandbox`): ``network_isolation`` (false, with
``network_isolation_reason``, when the platform could not isolate them, or when
``IOPGRAPH_SERVICE_ALLOWLIST`` keeps their network on), ``network_mode`` and
``worker_memory_limit_mb``, once the first worker has started. These inform;
they do not turn readiness off.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from iopgraph.core.errors import IopgraphError

PROBE_QUERY = "ASK { ?s ?p ?o }"


@dataclass
class Readiness:
    ready: bool
    reason: str = ""
    checks: dict[str, object] = field(default_factory=dict)


async def readiness(state: Any, timeout: float = 5.0) -> Readiness:
    """Check the backend on ``state`` (``app.state``); never raises."""
    backend = getattr(state, "backend", None)
    if backend is None:
        return Readiness(False, "the store is not open yet", {"store": "not open"})
    checks: dict[str, object] = {"store": "remote" if getattr(backend, "query_url", None) else "open"}
    try:
        checks["triples"] = await asyncio.wait_for(backend.ask(PROBE_QUERY), timeout)
    except TimeoutError:
        checks["query"] = "timeout"
        return Readiness(False, f"the store did not answer a trivial query within {timeout:g} s", checks)
    except IopgraphError as exc:
        checks["query"] = exc.code
        return Readiness(False, exc.message, checks)
    except Exception as exc:  # any failure of the probe means "not ready"
        checks["query"] = "error"
        return Readiness(False, f"the store failed a trivial query: {type(exc).__name__}", checks)
    checks["query"] = "ok"
    pool = getattr(backend, "pool", None)
    if pool is not None:
        workers = len(getattr(pool, "pids", []))
        checks["query_workers"] = workers
        sandbox = getattr(pool, "sandbox", None)
        if isinstance(sandbox, dict):
            checks["network_isolation"] = bool(sandbox.get("network_isolation"))
            checks["network_mode"] = sandbox.get("network_mode")
            if not sandbox.get("network_isolation"):
                checks["network_isolation_reason"] = sandbox.get("sandbox_reason")
            checks["worker_memory_limit_mb"] = sandbox.get("memory_limit_mb")
        if workers == 0:
            return Readiness(False, "no query worker process is running", checks)
    return Readiness(True, "", checks)
