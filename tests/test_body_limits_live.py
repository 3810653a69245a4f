"""One body reader for every endpoint (issue 12): over its limit, each answers 413 naming the setting.

A real `iopgraph serve` with small limits (uploads 20,000 bytes, queries
10,000); each body is 30,000 bytes, under the app-wide cap, so the endpoint's
own reader (:mod:`iopgraph.http.body`) is what refuses it, whether the size is
declared (``Content-Length``) or only counted as the body streams (chunked).
Writes change nothing; the server stays up.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from support.project import build_project
from support.reliability import TOKEN
from support.server import ServerProcess

AUTH = {"Authorization": f"Bearer {TOKEN}"}
GRAPH = "http://example.org/graph/too-large"
BODY = b"# padding\n" * 3_000  # 30,000 bytes of valid Turtle (comments), valid SPARQL (comments)

CASES = {
    "validate": ("POST", "/api/validate", {"Content-Type": "text/turtle"}, "payload-too-large", "UPLOAD"),
    "store": (
        "PUT",
        f"/store?graph={GRAPH}",
        {"Content-Type": "text/turtle", **AUTH},
        "payload-too-large",
        "UPLOAD",
    ),
    "update": (
        "POST",
        "/update",
        {"Content-Type": "application/sparql-update", **AUTH},
        "payload-too-large",
        "UPLOAD",
    ),
    "sparql": ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, "query-too-large", "QUERY"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("body-limits")
    env = {
        "IOPGRAPH_ROOT": str(build_project(folder)),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_MAX_UPLOAD_BYTES": "20000",
        "IOPGRAPH_MAX_QUERY_BYTES": "10000",
    }
    with ServerProcess(folder, env) as running:
        yield running


def chunks() -> Iterator[bytes]:
    for start in range(0, len(BODY), 4096):
        yield BODY[start : start + 4096]


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
@pytest.mark.parametrize("case", list(CASES))
def test_each_endpoint_refuses_a_body_over_its_limit(server: ServerProcess, case: str, chunked: bool) -> None:
    method, path, headers, code, limit = CASES[case]
    content = chunks() if chunked else BODY
    r = httpx.request(method, server.url + path, headers=headers, content=content, timeout=60)
    assert r.status_code == 413, r.text[:300]
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == code
    assert f"IOPGRAPH_MAX_{limit}_BYTES" in problem["detail"]
    assert ("20000" if limit == "UPLOAD" else "10000") in problem["detail"]
    # Nothing was written, and the server still answers.
    assert httpx.get(server.url + "/store", params={"graph": GRAPH}, timeout=30).status_code == 404
    assert httpx.get(server.url + "/healthz", timeout=30).status_code == 200
