"""Load on loopback: a mix of SPARQL, resource views, JSON-LD collections, pages and dumps at a fixed concurrency.

The real `iopgraph serve` (2 query workers) over the linked-data fixture graph.
Phase 1 sends the mix alone; phase 2 sends the same mix while one client keeps
a slow query running (it is stopped at the query timeout, 503, and sent again).
Both phases: no 5xx, no connection error, every status as expected. Printed:
requests served, errors, p50/p99 of each phase, and the factor by which the
slow query raised the others' p99 (reported, not asserted: speed belongs in
benchmarks/). The short run is part of `make test`; the 60 s run at
concurrency 32 is `make soak` (marker ``slow``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx
import pytest

from support.clients import http_client
from support.load import LoadResult, Request, run_load
from support.project import build_project
from support.reliability import record
from support.server import ServerProcess

JSON = {"Accept": "application/sparql-results+json"}
SKOS = "http://www.w3.org/2004/02/skos/core#"
_NUMBERS = " ".join(str(i) for i in range(1000))
#: 10^9 combinations counted in one aggregate, independent of the graph: minutes of work, far past the 2 s timeout.
SLOW_QUERY = (
    f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {_NUMBERS} }} VALUES ?b {{ {_NUMBERS} }} "
    f"VALUES ?c {{ {_NUMBERS} }} }}"
)
QUERY_TIMEOUT = 2


def discover(url: str) -> list[str]:
    """Paths of resources and concepts of the fixture graph, found through the endpoint."""
    query = (
        "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), 'https://w3id.org/iopgraph/id/') "
        "|| STRSTARTS(STR(?s), 'https://w3id.org/iopgraph/concept/')) } ORDER BY ?s LIMIT 40"
    )
    response = httpx.get(url + "/sparql", params={"query": query}, headers=JSON, timeout=60)
    assert response.status_code == 200, response.text
    paths = [
        b["s"]["value"].removeprefix("https://w3id.org/iopgraph")
        for b in response.json()["results"]["bindings"]
    ]
    assert len(paths) >= 20
    return [p for p in paths if "#" not in p]


def mix_for(paths: list[str]) -> list[Request]:
    views = []
    for i, path in enumerate(paths):
        accept = ["text/turtle", "application/ld+json", "text/html", "application/n-triples"][i % 4]
        views.append(Request("view", "GET", path, headers={"Accept": accept}))
    fixed = [
        Request(
            "sparql-repeated",
            "GET",
            "/sparql",
            {"query": f"SELECT ?c ?l WHERE {{ ?c <{SKOS}prefLabel> ?l }} ORDER BY ?l LIMIT 20"},
            JSON,
        ),
        Request(
            "sparql-repeated",
            "POST",
            "/sparql",
            headers=JSON,
            data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
        ),
        Request("collection", "GET", "/api/challenges", headers={"Accept": "application/ld+json"}),
        Request("collection", "GET", "/api/mitigations", headers={"Accept": "application/ld+json"}),
        Request("collection", "GET", "/api/initiatives", headers={"Accept": "application/ld+json"}),
        Request("collection", "GET", "/api/organisations", headers={"Accept": "application/ld+json"}),
        Request("page", "GET", "/", headers={"Accept": "text/html"}),
        Request("page", "GET", "/challenges", headers={"Accept": "text/html"}),
        Request("dump", "GET", "/dumps/iopgraph.ttl"),
        Request("dump", "GET", "/dumps/iopgraph.nt"),
        Request("catalogue", "GET", "/catalog", headers={"Accept": "text/turtle"}),
        Request("named-query", "GET", "/api/queries/challenge-tree", headers=JSON),
        Request("ops", "GET", "/readyz"),
    ]
    return [*fixed, *views]


def with_fresh_queries(mix: list[Request]) -> object:
    """The mix, with every fourth request a SPARQL query the result cache has not seen."""

    def pick(n: int) -> Request:
        if n % 4 == 3:
            return Request(
                "sparql-fresh",
                "GET",
                "/sparql",
                {"query": f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT 5 OFFSET {n % 997} # {n}"},
                JSON,
            )
        return mix[n % len(mix)]

    return pick


class SlowQueries:
    """One client that keeps a slow query running; every one must end in 503 query-timeout."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.outcomes: list[tuple[int, str, float]] = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with http_client() as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                started = time.monotonic()
                response = client.get(
                    self.url + "/sparql", params={"query": f"{SLOW_QUERY} # slow {n}"}, headers=JSON
                )
                code = response.json().get("code", "") if response.status_code >= 400 else ""
                self.outcomes.append((response.status_code, code, time.monotonic() - started))

    def __enter__(self) -> SlowQueries:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)


def check(result: LoadResult) -> None:
    assert result.connection_errors == 0, result.unexpected[:5]
    assert result.errors_5xx == 0, result.unexpected[:5]
    assert result.unexpected == [], result.unexpected[:5]


def load_run(tmp_path: Path, concurrency: int, seconds: float, budget: int, label: str) -> None:
    env = {
        "IOPGRAPH_ROOT": str(build_project(tmp_path)),
        "IOPGRAPH_STORE_PATH": str(tmp_path / "store"),
        "IOPGRAPH_QUERY_WORKERS": "2",
        "IOPGRAPH_QUERY_TIMEOUT": str(QUERY_TIMEOUT),
        "IOPGRAPH_ACCESS_LOG": "false",
        "IOPGRAPH_BASE_URL": "http://127.0.0.1",
        # Every client here is 127.0.0.1, the slow one too: let that one address use both workers
        # (the per-client limit itself is tested in test_isolation_queries.py).
        "IOPGRAPH_QUERY_WORKERS_PER_CLIENT": "2",
    }
    with ServerProcess(tmp_path, env) as server:
        server.wait_until("/readyz", 120)
        mix = mix_for(discover(server.url))
        for request in mix:  # every request of the mix works before the load starts
            response = httpx.request(
                request.method,
                server.url + request.path,
                params=request.params,
                headers=request.headers,
                data=request.data,
                timeout=60,
            )
            assert response.status_code in request.ok, (request, response.status_code, response.text[:300])
        pick = with_fresh_queries(mix)
        alone = asyncio.run(run_load(server.url, pick, concurrency, seconds / 2, budget // 2))  # type: ignore[arg-type]
        check(alone)
        with SlowQueries(server.url) as slow:
            time.sleep(0.3)
            together = asyncio.run(run_load(server.url, pick, concurrency, seconds / 2, budget // 2))  # type: ignore[arg-type]
        check(together)
        assert slow.outcomes, "no slow query ran"
        # each slow query is stopped at the timeout
        assert {(status, code) for status, code, _ in slow.outcomes} == {(503, "query-timeout")}, (
            slow.outcomes
        )
        assert max(s for _, _, s in slow.outcomes) < QUERY_TIMEOUT + 5  # stopped at the timeout, not after
        assert httpx.get(server.url + "/readyz").status_code == 200
        metrics = httpx.get(server.url + "/metrics").text
    p99_alone, p99_together = alone.percentile(0.99), together.percentile(0.99)
    record(
        label,
        concurrency=concurrency,
        requests_served=alone.requests + together.requests,
        errors_5xx=alone.errors_5xx + together.errors_5xx,
        connection_errors=alone.connection_errors + together.connection_errors,
        p50_ms=round(alone.percentile(0.5) * 1000, 1),
        p99_ms=round(p99_alone * 1000, 1),
        p50_ms_with_slow_query=round(together.percentile(0.5) * 1000, 1),
        p99_ms_with_slow_query=round(p99_together * 1000, 1),
        p99_factor_with_slow_query=round(p99_together / p99_alone, 2) if p99_alone else None,
        slow_queries_stopped=len(slow.outcomes),
        requests_per_s=round((alone.requests + together.requests) / (alone.seconds + together.seconds), 1),
    )
    assert "iopgraph_sparql_query_timeouts_total" in metrics
    timeouts = [
        line for line in metrics.splitlines() if line.startswith("iopgraph_sparql_query_timeouts_total")
    ]
    assert float(timeouts[0].split()[-1]) == sum(1 for status, _, _ in slow.outcomes if status == 503)


def test_load_smoke(tmp_path: Path) -> None:
    load_run(tmp_path, concurrency=16, seconds=8, budget=20_000, label="load (smoke, make test)")


@pytest.mark.slow
def test_load_60s_at_concurrency_32(tmp_path: Path) -> None:
    load_run(tmp_path, concurrency=32, seconds=60, budget=500_000, label="load (60 s, make soak)")
