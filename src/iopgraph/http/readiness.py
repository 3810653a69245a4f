"""Is the service ready to answer? The checks behind ``GET /readyz``.

    report = await readiness(context.backend)
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

from dataclasses import dataclass, field

from iopgraph.store.backend import Backend


@dataclass
class Readiness:
    ready: bool
    reason: str = ""
    checks: dict[str, object] = field(default_factory=dict)


async def readiness(backend: Backend | None, timeout: float = 5.0) -> Readiness:
    """Check ``backend`` (:meth:`~iopgraph.store.backend.Backend.health`; None: not open yet); never raises."""
    if backend is None:
        return Readiness(False, "the store is not open yet", {"store": "not open"})
    health = await backend.health(timeout)
    return Readiness(health.ok, health.reason, dict(health.checks))
