"""``/sparql`` handed to its handler without FastAPI's routing answers exactly what the routed request did.

The first ``GET`` and the first ``POST /sparql`` of a server go through the router (which names the
route for the access log and metrics); later ones go to the handler directly
(``iopgraph.http.sparql_direct``, issue 13 item 2). The first case of each method here is
the routed one, and its repetition must be the same answer (status, body, every header but
``Date`` and the request id); every other case is answered directly with its own status,
refusals as problem+json. ``tests/unit/test_sparql_direct.py`` compares every case with the
app whose router answers it.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.project import build_project
from support.server import ServerProcess

PER_RESPONSE = ("date", "x-request-id")
LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/iopgraph/id/initiative/harbour-data-space> ?p ?o }"

#: (what, method, params, body, headers, expected status)
CASES: list[tuple[str, str, dict[str, str], bytes | None, dict[str, str], int]] = [
    (
        "lookup, JSON results",
        "GET",
        {"query": LOOKUP},
        None,
        {"Accept": "application/sparql-results+json"},
        200,
    ),
    ("lookup as CSV by format", "GET", {"query": LOOKUP, "format": "csv"}, None, {}, 200),
    ("an update", "GET", {"update": "DROP ALL"}, None, {}, 403),
    ("a syntax error", "GET", {"query": "SELECT WHERE {"}, None, {}, 400),
    ("no acceptable format", "GET", {"query": LOOKUP}, None, {"Accept": "image/png"}, 406),
    ("service description", "GET", {}, None, {"Accept": "text/turtle"}, 200),
    (
        "POST sparql-query",
        "POST",
        {},
        LOOKUP.encode(),
        {"Content-Type": "application/sparql-query", "Accept": "text/csv"},
        200,
    ),
    (
        "POST form",
        "POST",
        {},
        b"query=" + LOOKUP.replace(" ", "+").encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+xml"},
        200,
    ),
    ("POST without a query", "POST", {}, b"", {"Content-Type": "application/x-www-form-urlencoded"}, 400),
    ("POST of the wrong type", "POST", {}, b"{}", {"Content-Type": "application/json"}, 415),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("sparql-direct-live")
    env = {
        "IOPGRAPH_ROOT": str(build_project(folder)),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_QUERY_TIMEOUT": "60",
    }
    with ServerProcess(folder, env) as running:
        running.wait_until("/readyz", 120)
        yield running


def stable(response: httpx.Response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in PER_RESPONSE]
    return response.status_code, response.content, headers


def send(
    client: httpx.Client, case: tuple[str, str, dict[str, str], bytes | None, dict[str, str], int]
) -> Any:
    _, method, params, body, headers, _ = case
    return client.request(method, "/sparql", params=params, content=body, headers=headers)


def requests_counted(client: httpx.Client, method: str) -> float:
    total = 0.0
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if (
                sample.name == "iopgraph_http_requests_total"
                and sample.labels.get("route") == "/sparql"
                and sample.labels.get("method") == method
            ):
                total += sample.value
    return total


def test_each_request_answers_the_same_routed_and_direct(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for case in CASES:
            what, *_, status = case
            first, again = send(client, case), send(client, case)
            assert first.status_code == status, (what, first.text[:300])
            assert stable(again) == stable(first), what
            if status >= 400:
                assert again.headers["content-type"] == "application/problem+json", what
                assert json.loads(again.content)["code"] == json.loads(first.content)["code"], what


def test_direct_requests_are_counted_and_logged_under_their_route(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for method in ("GET", "POST"):  # the first of each method may be the routed one
            client.request(
                method,
                "/sparql",
                params={"query": LOOKUP} if method == "GET" else {},
                content=None if method == "GET" else LOOKUP.encode(),
                headers={} if method == "GET" else {"Content-Type": "application/sparql-query"},
            )
        before = requests_counted(client, "GET")
        ids = [f"direct-{uuid.uuid4().hex}" for _ in range(3)]
        for request_id in ids:
            r = client.get("/sparql", params={"query": LOOKUP}, headers={"X-Request-ID": request_id})
            assert r.headers["x-request-id"] == request_id
        assert requests_counted(client, "GET") - before == 3
    deadline = time.monotonic() + 30
    while True:
        lines = [json.loads(x) for x in server.log().splitlines() if x.startswith('{"ts"')]
        mine = [line for line in lines if line["request_id"] in ids]
        if len(mine) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert sorted(line["request_id"] for line in mine) == sorted(ids)  # one line each
    assert {(line["route"], line["status"]) for line in mine} == {("/sparql", 200)}
