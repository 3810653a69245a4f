"""What an operator sees: request ids, one structured access-log line per request, Prometheus metrics.

    metrics = Metrics()                                   # one registry per app, no global state
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    metrics.exposition()                                  # the text served at GET /metrics

Every response carries ``X-Request-ID``: the client's own value when it is a
short token (letters, digits, ``._:-``), else a fresh one, so a value crafted
to inject headers or log lines is never echoed. The access log (logger
``iopgraph.access``) writes one JSON object per request::

    {"ts": "...", "request_id": "...", "method": "GET", "path": "/sparql", "route": "/sparql",
     "status": 200, "duration_ms": 3.1, "bytes": 512, "client": "127.0.0.1", "problem": null}

``problem`` is the ``code`` of an RFC 9457 error body (``query-timeout``,
``payload-too-large`` ...), read from the response itself so no handler has to
report it. Labels are bounded: ``route`` is the route's template (``/id/{path}``)
or ``(unmatched)``, ``method`` one of the HTTP methods or ``OTHER``, so hostile
traffic cannot blow up the number of time series.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iopgraph.http.representation_cache import RepresentationCache
from iopgraph.sparql.cache import ResultCache
from iopgraph.sparql.single_flight import SingleFlight
from iopgraph.store.backend import Backend

access_log = logging.getLogger("iopgraph.access")

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
_PROBLEM_TYPE = b"application/problem+json"
_MAX_PROBLEM_BYTES = 65_536
#: Latency buckets in seconds: cheap lookups to the longest query timeout.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def request_id_for(incoming: str | None) -> str:
    """The client's request id if it is a safe token, else a new one."""
    if incoming and _SAFE_REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class _StateCollector(Collector):
    """Counters kept by the app's components (result cache, query workers), read at scrape time."""

    def __init__(self) -> None:
        self.backend: Backend | None = None
        self.cache: ResultCache | None = None
        self.pages: RepresentationCache | None = None
        self.flights: SingleFlight[Any] | None = None

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        cache = self.cache
        if cache is not None:
            yield CounterMetricFamily(
                "iopgraph_sparql_cache_hits", "SPARQL results served from the result cache.", value=cache.hits
            )
            yield CounterMetricFamily(
                "iopgraph_sparql_cache_misses", "SPARQL results not found in the cache.", value=cache.misses
            )
            yield GaugeMetricFamily(
                "iopgraph_sparql_cache_entries", "Results held in the SPARQL result cache.", value=len(cache)
            )
        flights = self.flights
        if flights is not None:
            yield CounterMetricFamily(
                "iopgraph_sparql_shared",
                "SPARQL queries answered by an identical query already running (coalesced, not run again).",
                value=flights.shared,
            )
        pages = self.pages
        if pages is not None:
            yield CounterMetricFamily(
                "iopgraph_page_cache_hits",
                "Pages, collections and dumps served from the representation cache.",
                value=pages.hits,
            )
            yield CounterMetricFamily(
                "iopgraph_page_cache_misses",
                "Cacheable pages, collections and dumps not found in the representation cache.",
                value=pages.misses,
            )
            yield GaugeMetricFamily(
                "iopgraph_page_cache_bytes", "Bytes held in the representation cache.", value=pages.bytes
            )
        stats = self.backend.stats() if self.backend is not None else None
        if stats is not None and stats.workers is not None:
            yield GaugeMetricFamily(
                "iopgraph_query_workers", "Live query worker processes.", value=stats.workers
            )
            yield CounterMetricFamily(
                "iopgraph_query_workers_replaced",
                "Query workers killed and replaced (timeouts, cancellations, crashes).",
                value=stats.workers_replaced,
            )
            yield CounterMetricFamily(
                "iopgraph_query_workers_recycled",
                "Query workers replaced by a fresh fork to give back the graph pages they copied (the copy budget).",
                value=stats.workers_recycled,
            )
            yield CounterMetricFamily(
                "iopgraph_query_workers_paused",
                "Pauses of a query worker copying graph pages while another worker held or copied a copy.",
                value=stats.workers_paused,
            )


class Metrics:
    """The app's Prometheus registry and the instruments the middleware updates."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "iopgraph_http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "iopgraph_http_request_duration_seconds",
            "Time from request to the end of the response body.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "iopgraph_http_requests_in_progress", "Requests being answered now.", registry=self.registry
        )
        self.problems = Counter(
            "iopgraph_problems", "Error responses by problem code.", ["code"], registry=self.registry
        )
        self.query_timeouts = Counter(
            "iopgraph_sparql_query_timeouts",
            "SPARQL queries stopped at IOPGRAPH_QUERY_TIMEOUT.",
            registry=self.registry,
        )
        self.fast_path = Counter(
            "iopgraph_fast_path_answers",
            "GET requests answered from the representation cache before routing (http/fast_path.py).",
            registry=self.registry,
        )
        self._bound: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._state = _StateCollector()
        self.registry.register(self._state)

    def watch(
        self,
        backend: Backend | None,
        cache: ResultCache | None,
        pages: RepresentationCache | None = None,
        flights: SingleFlight[Any] | None = None,
    ) -> None:
        """Report the counters of ``backend``, the SPARQL result ``cache``, the representation cache
        ``pages`` and the coalesced queries (``flights``) at each scrape (None: stop)."""
        self._state.backend = backend
        self._state.cache = cache
        self._state.pages = pages
        self._state.flights = flights

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float, problem: str | None) -> None:
        # Label look-ups bound once per (method, route, status): one dict look-up per request after that.
        # The label values are bounded (methods, route templates, statuses), so is this dict.
        bound = self._bound.get((method, route, status))
        if bound is None:
            bound = (self.requests.labels(method, route, str(status)), self.latency.labels(method, route))
            self._bound[(method, route, status)] = bound
        bound[0].inc()
        bound[1].observe(seconds)
        if problem:
            self.problems.labels(problem).inc()
            if problem in ("query-timeout", "upstream-timeout"):
                self.query_timeouts.inc()


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "(unmatched)"


def _problem_code(body: bytes) -> str | None:
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) and len(code) <= 64 else None


_REQUEST_ID = REQUEST_ID_HEADER.encode()


class ObservabilityMiddleware:
    """Pure ASGI middleware: request id, timing, access log and metrics for every HTTP request.

    Per request it does one pass over the request headers (for ``X-Request-ID``), one over the
    response headers, a metrics update through pre-bound label children and, with the access
    log on, one JSON line handed to the log's handlers (a record made directly: no caller
    look-up, the access formatter prints the message alone).
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, log_requests: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        incoming = ""
        for name, value in scope.get("headers") or ():
            if name.lower() == _REQUEST_ID:
                incoming = value.decode("latin-1")  # the last one, as a dict of the headers would keep
        request_id = request_id_for(incoming)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        sent = 0
        problem_body: bytearray | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal status, sent, problem_body
            if message["type"] == "http.response.start":
                status = message["status"]
                raw = []
                content_type = b""
                for k, v in message.get("headers", ()):
                    lower = k.lower()
                    if lower == _REQUEST_ID:
                        continue
                    if lower == b"content-type" and not content_type:
                        content_type = v
                    raw.append((k, v))
                raw.append((_REQUEST_ID, request_id.encode()))
                message = {**message, "headers": raw}
                if status >= 400 and content_type.startswith(_PROBLEM_TYPE):
                    problem_body = bytearray()
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                sent += len(chunk)
                if problem_body is not None and len(problem_body) < _MAX_PROBLEM_BYTES:
                    problem_body.extend(chunk[: _MAX_PROBLEM_BYTES - len(problem_body)])
            await send(message)

        in_progress = self.metrics.in_progress
        in_progress.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            in_progress.dec()
            seconds = time.perf_counter() - started
            method = scope.get("method", "GET")
            method = method if method in _METHODS else "OTHER"
            route = _route_template(scope)
            problem = _problem_code(bytes(problem_body)) if problem_body else None
            self.metrics.observe(method, route, status, seconds, problem)
            if self.log_requests and access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                line = json.dumps(
                    {
                        "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                        "request_id": request_id,
                        "method": method,
                        "path": scope.get("path", "")[:2000],
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                        "bytes": sent,
                        "client": client[0] if client else None,
                        "problem": problem,
                    }
                )
                access_log.handle(
                    access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, line, (), None)
                )


def log_config(level: str = "INFO") -> dict[str, Any]:
    """``logging.dictConfig`` for ``iopgraph serve``: uvicorn's own lines plus ours, all on stderr.

    The access log lines are bare JSON (one object per line, ready for a log
    shipper); uvicorn's own access log is replaced by ours.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json": {"format": "%(message)s"},
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "iopgraph": {"handlers": ["stderr"], "level": level, "propagate": False},
            "iopgraph.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
