"""Operational basics: /healthz, /readyz, request ids, the access log, /metrics, security headers, body cap."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from iopgraph.app import create_app
from iopgraph.core.settings import Settings
from iopgraph.http.security_headers import content_security_policy, inline_script_hashes
from support.project import build_project
from support.reliability import TOKEN

COUNT_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def settings_for(folder: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "root": build_project(folder),
        "store_path": folder / "store",
        "query_workers": 1,
        "base_url": "http://testserver",
        "write_token": TOKEN,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path_factory.mktemp("ops")))) as c:
        yield c


def metric(client: TestClient, name: str, **labels: str) -> float:
    """The value of one sample of /metrics (0 when absent)."""
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


# --- liveness and readiness ---------------------------------------------------------------------


def test_healthz_is_plain_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")


def test_readyz_reports_the_checks_it_made(client: TestClient) -> None:
    deadline = time.monotonic() + 60
    response = client.get("/readyz")
    while response.status_code == 503 and time.monotonic() < deadline:  # the worker loads the graph
        problem = response.json()  # problem+json: the reason is its detail (docs/security.md)
        assert (problem["code"], problem["detail"]) == (
            "not-ready",
            "not ready: the query workers are still loading the graph",
        )
        assert response.headers["retry-after"] == "5"
        time.sleep(0.2)
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["store"] == "open"
    assert body["checks"]["query"] == "ok"
    assert body["checks"]["triples"] is True
    assert body["checks"]["query_workers"] == 1
    assert body["checks"]["query_workers_ready"] == 1


def test_readyz_is_503_before_the_store_is_open(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path))
    client = TestClient(app)  # no `with`: the lifespan (which opens the store) has not run
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["code"] == "not-ready"
    assert "store is not open" in body["detail"]
    assert client.get("/healthz").status_code == 200  # alive, just not ready


# --- request ids and the access log ---------------------------------------------------------------


def test_every_response_gets_a_fresh_request_id(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_a_safe_client_request_id_is_kept(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "harvester-42.run:7"})
    assert response.headers["x-request-id"] == "harvester-42.run:7"


@pytest.mark.parametrize("hostile", [b"a b", b"<script>", b"x" * 129, b"id;rm -rf", "é".encode()])
def test_an_unsafe_client_request_id_is_replaced(client: TestClient, hostile: bytes) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": hostile})  # type: ignore[dict-item]
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


def test_access_log_has_one_json_line_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="iopgraph.access"):
        response = client.get("/id/no-such-thing", headers={"Accept": "text/turtle"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "iopgraph.access"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == response.headers["x-request-id"]
    assert (line["method"], line["path"], line["status"]) == (
        "GET",
        "/id/no-such-thing",
        response.status_code,
    )
    assert line["status"] == 404
    assert line["problem"] == response.json()["code"]
    assert line["route"].startswith("/id/")
    assert line["duration_ms"] >= 0 and line["bytes"] == len(response.content)


def test_access_log_can_be_switched_off(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with TestClient(create_app(settings_for(tmp_path, access_log=False))) as client:
        with caplog.at_level(logging.INFO, logger="iopgraph.access"):
            client.get("/healthz")
    assert not [r for r in caplog.records if r.name == "iopgraph.access"]


def test_unexpected_errors_are_logged_not_shown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings_for(tmp_path))

    @app.get("/test-only-boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail /etc/shadow")

    with TestClient(app, raise_server_exceptions=False) as client:
        with caplog.at_level(logging.INFO):
            response = client.get("/test-only-boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal-error"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert any("secret internal detail" in (r.exc_text or "") or r.exc_info for r in caplog.records)


# --- metrics --------------------------------------------------------------------------------------


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    before = metric(client, "iopgraph_http_requests_total", method="GET", route="/healthz", status="200")
    for _ in range(3):
        client.get("/healthz")
    after = metric(client, "iopgraph_http_requests_total", method="GET", route="/healthz", status="200")
    assert after - before == 3
    assert metric(client, "iopgraph_http_request_duration_seconds_count", method="GET", route="/healthz") >= 3


def test_metrics_labels_stay_bounded_under_random_paths(client: TestClient) -> None:
    for i in range(20):
        client.get(f"/random-probe-{i}/../../etc/passwd")
        client.request("BREW", f"/coffee-{i}")
    text = client.get("/metrics").text
    assert "random-probe" not in text and "coffee" not in text
    assert metric(client, "iopgraph_http_requests_total", route="(unmatched)", method="OTHER") >= 20


def test_metrics_count_problems_by_code(client: TestClient) -> None:
    before = metric(client, "iopgraph_problems_total", code="sparql-syntax-error")
    assert client.get("/sparql", params={"query": "SELECT * WHERE {"}).status_code == 400
    assert metric(client, "iopgraph_problems_total", code="sparql-syntax-error") - before == 1


def test_metrics_count_cache_hits(client: TestClient) -> None:
    query = "SELECT ?s WHERE { ?s a ?c } LIMIT 2"
    client.get("/sparql", params={"query": query})
    hits = metric(client, "iopgraph_sparql_cache_hits_total")
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200
    assert metric(client, "iopgraph_sparql_cache_hits_total") - hits == 1
    assert metric(client, "iopgraph_sparql_cache_entries") >= 1


def test_metrics_count_query_timeouts(tmp_path: Path) -> None:
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with TestClient(create_app(settings_for(tmp_path, query_timeout=0.5))) as client:
        client.get("/readyz")
        # Wait for the in-memory copy: a cold (checkpoint) worker retired by the swap is not "replaced".
        pool = client.app.state.context.backend.pool  # type: ignore[attr-defined]
        deadline = time.monotonic() + 60
        while pool is not None and pool.source != "memory" and time.monotonic() < deadline:
            time.sleep(0.05)
        response = client.get("/sparql", params={"query": slow})
        assert response.status_code == 503
        assert response.json()["code"] == "query-timeout"
        assert metric(client, "iopgraph_sparql_query_timeouts_total") == 1
        assert metric(client, "iopgraph_query_workers_replaced_total") == 1
        assert client.get("/sparql", params={"query": COUNT_QUERY}).status_code == 200  # a fresh worker


def test_metrics_are_per_app(tmp_path: Path, client: TestClient) -> None:
    client.get("/healthz")
    other = create_app(settings_for(tmp_path))
    with TestClient(other) as other_client:
        mine = client.app.state.context.metrics.registry  # type: ignore[attr-defined]
        assert other.state.context.metrics.registry is not mine
        fresh = other_client.get("/metrics").text
    assert 'route="/healthz"' not in fresh


# --- security headers -----------------------------------------------------------------------------


def test_html_pages_get_a_strict_csp(client: TestClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    scripts = directives["script-src"].split()
    assert scripts[0] == "'self'"
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert all(s.startswith("'sha256-") for s in scripts[1:])
    # the editor's own inline script, and only it, is allowed by hash
    assert scripts[1:] == inline_script_hashes(response.content)
    assert directives["connect-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_non_html_responses_get_nosniff_but_no_csp(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": COUNT_QUERY}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "content-security-policy" not in response.headers


def test_inline_script_hashes_skip_data_blocks_and_external_scripts() -> None:
    html = (
        b'<script type="application/ld+json">{"a": 1}</script>'
        b'<script id="c" type="application/json">{}</script>'
        b'<script src="/x.js"></script>'
        b"<script>alert(1)</script><SCRIPT type='module'>run()</SCRIPT>"
    )
    # echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
    assert inline_script_hashes(html) == [
        "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='",
        inline_script_hashes(b"<script>run()</script>")[0],
    ]


def test_no_page_may_load_from_a_cdn() -> None:
    """/docs serves Swagger UI from this service: every source is 'self' (tests/journeys checks it offline)."""
    policy = content_security_policy([])
    assert "https:" not in policy and "cdn.jsdelivr.net" not in policy


# --- request body cap -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = settings_for(tmp_path_factory.mktemp("cap"), max_body_bytes=2048)
    with TestClient(create_app(settings)) as c:
        yield c


def test_body_over_the_cap_is_refused_before_reading(small_client: TestClient) -> None:
    body = "query=" + "SELECT * WHERE { ?s ?p ?o } #" + "x" * 4000
    response = small_client.post(
        "/sparql", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload-too-large"
    assert "2048 bytes" in response.json()["detail"]


def test_chunked_body_over_the_cap_is_refused(small_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"SELECT * WHERE { ?s ?p ?o } #"
        for _ in range(10):
            yield b"y" * 1000

    response = small_client.post(
        "/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload-too-large"


def test_body_under_the_cap_is_answered(small_client: TestClient) -> None:
    response = small_client.post(
        "/sparql",
        content=COUNT_QUERY,
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200
    assert int(response.json()["results"]["bindings"][0]["n"]["value"]) > 100


def test_a_non_numeric_content_length_is_a_400(small_client: TestClient) -> None:
    from iopgraph.http.body_limit import BodyLimitMiddleware

    async def inner(scope, receive, send):  # never reached
        raise AssertionError("the app must not see the request")

    sent: list[dict[str, object]] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    import asyncio

    scope = {"type": "http", "method": "POST", "path": "/sparql", "headers": [(b"content-length", b"12x")]}
    asyncio.run(BodyLimitMiddleware(inner, 10)(scope, receive, send))
    assert sent[0]["status"] == 400
