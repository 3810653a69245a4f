"""The fast path on the real `iopgraph serve`: a cached view answered before routing is the same answer.

A GET whose representation is in the representation cache is answered by
``iopgraph.http.fast_path`` without routing (issue 13 item 2). These tests hold it to
what the route answers: the same status, bytes and headers (all but ``Date`` and the
request id, in the same order), the same 304 with the same ETag, HEAD without a body,
CORS on reads, one access-log line per request naming the route, nothing for a request
with credentials, and nothing from before a write.
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
from support.reliability import TOKEN
from support.server import ServerProcess

AUTH = {"Authorization": f"Bearer {TOKEN}"}
HARBOUR = "https://w3id.org/iopgraph/id/initiative/harbour-data-space"
NOTE = "A note that only exists after the write of the fast-path test."
STEWARD_GRAPH = "https://w3id.org/iopgraph/graph/contrib/fast-path-test"
#: Headers that differ between any two responses of the same representation.
PER_RESPONSE = ("date", "x-request-id")

#: (what, path, Accept, Accept-Encoding): views of each kind the representation cache keeps.
VIEWS = [
    ("resource page", "/id/initiative/harbour-data-space", "text/html", "identity"),
    ("resource as JSON-LD", "/id/initiative/harbour-data-space?format=jsonld", "*/*", "identity"),
    ("resource as Turtle", "/id/initiative/harbour-data-space", "text/turtle", "identity"),
    ("challenge tree", "/challenges", "text/html", "identity"),
    ("collection", "/api/initiatives", "application/ld+json", "identity"),
    ("dump, gzip-encoded", "/dumps/iopgraph.nt", "application/n-triples", "gzip"),
    ("home", "/", "text/html", "identity"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("fast-path-live")
    env = {
        "IOPGRAPH_ROOT": str(build_project(folder)),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_QUERY_TIMEOUT": "60",
    }
    with ServerProcess(folder, env) as running:
        running.wait_until("/readyz", 120)
        yield running


@pytest.fixture(scope="module")
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    # No automatic decoding: the raw bytes of each response are compared.
    with httpx.Client(base_url=server.url, timeout=60, headers={"Accept-Encoding": "identity"}) as client:
        yield client


def fast_answers(http: httpx.Client) -> float:
    for family in text_string_to_metric_families(http.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "iopgraph_fast_path_answers_total":
                return float(sample.value)
    raise AssertionError("/metrics has no iopgraph_fast_path_answers_total")


def stable_headers(response: httpx.Response) -> list[tuple[str, str]]:
    """Every header in order, but those that differ per response."""
    return [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in PER_RESPONSE]


def get(http: httpx.Client, path: str, accept: str, encoding: str, **headers: str) -> httpx.Response:
    return http.get(path, headers={"Accept": accept, "Accept-Encoding": encoding, **headers})


def access_lines(server: ServerProcess, last_id: str) -> list[dict[str, Any]]:
    """The access log's lines once the line of ``last_id`` is written (after its response was sent)."""
    deadline = time.monotonic() + 30
    while True:
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith('{"ts"')]
        if any(line["request_id"] == last_id for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


@pytest.mark.parametrize(("what", "path", "accept", "encoding"), VIEWS, ids=[v[0] for v in VIEWS])
def test_a_view_from_the_fast_path_is_the_routed_answer_byte_for_byte(
    http: httpx.Client, what: str, path: str, accept: str, encoding: str
) -> None:
    routed = get(http, path, accept, encoding)  # routed: made by the view (or taken from the cache by it)
    assert routed.status_code == 200, (what, routed.text[:300])
    before = fast_answers(http)
    fast = get(http, path, accept, encoding)
    assert fast_answers(http) - before == 1, what  # this one did not go through the router
    assert fast.status_code == 200
    assert fast.content == routed.content, what
    assert stable_headers(fast) == stable_headers(routed), what
    if encoding == "gzip":
        assert fast.headers["content-encoding"] == "gzip"
    # HEAD: the GET's headers (Content-Length included), no body; also from the fast path
    before = fast_answers(http)
    head = http.head(path, headers={"Accept": accept, "Accept-Encoding": encoding})
    assert fast_answers(http) - before == 1, what
    assert (head.status_code, head.content) == (200, b"")
    assert stable_headers(head) == stable_headers(routed), what


def test_304_on_a_fast_path_hit_is_the_routes_304(http: httpx.Client) -> None:
    path = "/id/initiative/harbour-data-space"
    first = get(http, path, "text/html", "identity")
    etag = first.headers["etag"]
    before = fast_answers(http)
    fast = get(http, path, "text/html", "identity", **{"If-None-Match": etag})
    assert fast_answers(http) - before == 1
    # Another spelling of the same preference has no alias yet: its 304 is made by the route.
    before = fast_answers(http)
    routed = get(http, path, "text/html;q=0.9", "identity", **{"If-None-Match": etag})
    assert fast_answers(http) - before == 0
    assert (fast.status_code, fast.content) == (304, b"")
    assert routed.status_code == 304
    assert fast.headers["etag"] == etag
    assert stable_headers(fast) == stable_headers(routed)
    since = get(http, path, "text/html", "identity", **{"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    mismatch = get(http, path, "text/html", "identity", **{"If-None-Match": '"not-this-one"'})
    assert (mismatch.status_code, mismatch.content) == (200, first.content)


def test_a_cross_origin_read_from_the_fast_path_gets_cors(http: httpx.Client) -> None:
    path = "/api/initiatives"
    get(http, path, "application/ld+json", "identity")
    plain = get(http, path, "application/ld+json", "identity")
    before = fast_answers(http)
    cross = get(http, path, "application/ld+json", "identity", Origin="https://elsewhere.example")
    assert fast_answers(http) - before == 1
    assert "access-control-allow-origin" not in plain.headers
    assert cross.headers["access-control-allow-origin"] == "*"
    assert "ETag" in cross.headers["access-control-expose-headers"]
    assert cross.content == plain.content


def test_requests_with_credentials_always_go_through_the_route(http: httpx.Client) -> None:
    path = "/challenges"
    plain = get(http, path, "text/html", "identity")
    before = fast_answers(http)
    with_cookie = get(http, path, "text/html", "identity", Cookie="iopgraph_session=nothing-valid")
    with_token = get(http, path, "text/html", "identity", **AUTH)
    assert fast_answers(http) - before == 0
    assert with_cookie.status_code == with_token.status_code == 200
    assert with_cookie.content == plain.content


def test_each_request_gets_one_access_log_line_naming_its_route(
    server: ServerProcess, http: httpx.Client
) -> None:
    path = "/id/initiative/harbour-data-space"
    ids = [f"fast-path-{uuid.uuid4().hex}" for _ in range(3)]
    get(http, path, "text/turtle", "identity", **{"X-Request-ID": ids[0]})
    get(http, path, "text/turtle", "identity", **{"X-Request-ID": ids[1]})  # the fast path
    etag = get(http, path, "text/turtle", "identity").headers["etag"]
    fast_304 = get(http, path, "text/turtle", "identity", **{"X-Request-ID": ids[2], "If-None-Match": etag})
    assert fast_304.headers["x-request-id"] == ids[2]
    lines = access_lines(server, ids[-1])
    mine = {line["request_id"]: line for line in lines if line["request_id"] in ids}
    assert [sum(1 for line in lines if line["request_id"] == i) for i in ids] == [1, 1, 1]
    assert [mine[i]["status"] for i in ids] == [200, 200, 304]
    assert {mine[i]["route"] for i in ids} == {"/id/{path:path}"}
    assert mine[ids[1]]["bytes"] == mine[ids[0]]["bytes"] > 0
    assert mine[ids[2]]["bytes"] == 0


def test_after_a_write_the_fast_path_serves_nothing_from_before(http: httpx.Client) -> None:
    path = "/id/initiative/harbour-data-space"
    get(http, path, "text/turtle", "identity")
    old = get(http, path, "text/turtle", "identity")
    write = http.put(
        "/store",
        params={"graph": STEWARD_GRAPH},
        content=f'<{HARBOUR}> <http://www.w3.org/2000/01/rdf-schema#comment> "{NOTE}"@en .\n',
        headers={"Content-Type": "application/n-triples", **AUTH},
        timeout=120,
    )
    assert write.status_code == 201, write.text[:500]
    before = fast_answers(http)
    new = get(http, path, "text/turtle", "identity", **{"If-None-Match": old.headers["etag"]})
    assert fast_answers(http) - before == 0  # made again by the route
    assert new.status_code == 200
    assert new.headers["etag"] != old.headers["etag"]
    assert NOTE in new.text and NOTE not in old.text
    again = get(http, path, "text/turtle", "identity")
    assert fast_answers(http) - before == 1
    assert (again.content, stable_headers(again)) == (new.content, stable_headers(new))
