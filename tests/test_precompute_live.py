"""Precomputed pages on a real `iopgraph serve` over the shipped graph (issue 13 item 1).

At start-up the most visited pages are rendered into the representation cache before anyone
asks (the first GET is a cache hit), and they are the pages a server with the cache off
computes on demand, byte for byte; a write through the API followed at once by a GET of a
precomputed page shows the write (never the page from before it), and the pages are
precomputed again for the new version.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.paths import ROOT
from support.project import build_project
from support.server import ServerProcess

TOKEN = "precompute-test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLE = ROOT / "docs" / "examples" / "new-initiative.ttl"
GRAPH = "https://w3id.org/iopgraph/graph/contrib/helsinki-district-digital-twins"
NEW_LABEL = "Helsinki district digital twins"
#: The precomputed representations (path, Accept), as iopgraph.http.warmup.TARGETS lists them.
PAGES = [
    ("/", "text/html"),
    ("/challenges", "text/html"),
    ("/matrix", "text/html"),
    ("/use-cases", "text/html"),
    ("/mitigations", "text/html"),
    ("/recommendations", "text/html"),
    ("/organisations", "text/html"),
    ("/initiatives", "text/html"),
    ("/statistics", "text/html"),
    *((f"/api/{name}", "application/ld+json") for name in ("challenges", "mitigations", "initiatives")),
    *((f"/api/{name}", "application/ld+json") for name in ("organisations", "recommendations", "statistics")),
]


def _server(folder: Path, cache: bool) -> ServerProcess:
    env = {
        "IOPGRAPH_ROOT": str(build_project(folder, data=sorted((ROOT / "data").glob("*.ttl")))),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_QUERY_TIMEOUT": "60",
        "IOPGRAPH_ACCESS_LOG": "false",
    }
    if not cache:
        env["IOPGRAPH_PAGE_CACHE_BYTES"] = "0"
    return ServerProcess(folder, env)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with (
        _server(tmp_path_factory.mktemp("precomputed"), cache=True) as cached,
        _server(tmp_path_factory.mktemp("on-demand"), cache=False) as on_demand,
    ):
        cached.wait_until("/readyz", 120)
        on_demand.wait_until("/readyz", 120)
        yield cached, on_demand


def metric(server: ServerProcess, name: str) -> float:
    text = httpx.get(server.url + "/metrics", timeout=30).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    raise AssertionError(f"/metrics has no {name}")


def precomputed_runs(server: ServerProcess) -> int:
    return server.log().count("iopgraph.warmup: precomputed")


def wait_for_run(server: ServerProcess, runs: int, timeout: float = 120.0) -> str:
    """Wait until the server has finished ``runs`` precompute runs; the log line of the last one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [line for line in server.log().splitlines() if "iopgraph.warmup: precomputed" in line]
        if len(lines) >= runs:
            return lines[runs - 1]
        time.sleep(0.1)
    raise AssertionError(f"no precompute run {runs} within {timeout} s:\n{server.log_tail()}")


def get(server: ServerProcess, path: str, accept: str) -> httpx.Response:
    return httpx.get(server.url + path, headers={"Accept": accept, "Accept-Encoding": "identity"}, timeout=60)


def test_the_first_visit_is_a_cache_hit_with_the_bytes_computed_on_demand(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    cached, on_demand = servers
    line = wait_for_run(cached, 1)
    assert f"precomputed {len(PAGES)} of {len(PAGES)} pages" in line, line
    assert precomputed_runs(on_demand) == 0  # the cache is off there: nothing is precomputed
    for path, accept in PAGES:
        hits = metric(cached, "iopgraph_page_cache_hits_total")
        first = get(cached, path, accept)
        assert first.status_code == 200, (path, first.text[:300])
        assert metric(cached, "iopgraph_page_cache_hits_total") - hits == 1, f"{path} was not precomputed"
        fresh = get(on_demand, path, accept)
        assert fresh.status_code == 200, (path, fresh.text[:300])
        assert first.headers["content-type"] == fresh.headers["content-type"], path
        # the same bytes but for the service's own URL (each server's base URL has its own port)
        mine, theirs = (
            first.content.replace(cached.url.encode(), b"BASE"),
            fresh.content.replace(on_demand.url.encode(), b"BASE"),
        )
        assert mine == theirs, f"{path}: the precomputed page differs from the on-demand one"


def test_a_get_right_after_a_write_shows_the_write_and_the_pages_are_precomputed_again(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    cached, _ = servers
    runs = precomputed_runs(cached)
    before = {path: get(cached, path, accept) for path, accept in PAGES}
    assert NEW_LABEL not in before["/initiatives"].text
    write = httpx.put(
        cached.url + "/store",
        params={"graph": GRAPH},
        content=EXAMPLE.read_bytes(),
        headers={"Content-Type": "text/turtle", **AUTH},
        timeout=120,
    )
    assert write.status_code == 201, write.text[:500]
    # at once: the list page and the collection show the new initiative
    for path, accept in [("/initiatives", "text/html"), ("/api/initiatives", "application/ld+json")]:
        after = get(cached, path, accept)
        assert after.status_code == 200, path
        assert NEW_LABEL in after.text, f"{path} is stale after the write"
        assert after.headers["etag"] != before[path].headers["etag"], path
    total = get(cached, "/api/initiatives", "application/ld+json").json()["totalItems"]
    assert total == before["/api/initiatives"].json()["totalItems"] + 1
    # the pages are precomputed again at the new version (the run after the write)
    line = wait_for_run(cached, runs + 1)
    assert f"precomputed {len(PAGES)} of {len(PAGES)} pages" in line, line
    for path, accept in [("/matrix", "text/html"), ("/api/initiatives", "application/ld+json")]:
        hits = metric(cached, "iopgraph_page_cache_hits_total")
        again = get(cached, path, accept)
        assert metric(cached, "iopgraph_page_cache_hits_total") - hits == 1, path
        assert again.headers["etag"] != before[path].headers["etag"], path
    assert NEW_LABEL in get(cached, "/api/initiatives", "application/ld+json").text


def test_a_graph_over_the_read_copy_limit_is_not_precomputed_and_pages_are_made_on_demand(
    tmp_path: Path,
) -> None:
    """Over IOPGRAPH_READ_COPY_MAX_QUADS the lists are too large to make in the background at every
    start and write; the log says so, and a page is made on the first visit, then served from the cache."""
    server = _server(tmp_path, cache=True)
    server.env["IOPGRAPH_READ_COPY_MAX_QUADS"] = "100"  # the shipped graph is far over it
    with server:
        server.wait_until("/readyz", 120)
        assert "pages are not precomputed: the graph is over IOPGRAPH_READ_COPY_MAX_QUADS" in server.log()
        first_hits = metric(server, "iopgraph_page_cache_hits_total")
        first = get(server, "/matrix", "text/html")
        assert first.status_code == 200
        assert metric(server, "iopgraph_page_cache_hits_total") == first_hits  # made on demand
        again = get(server, "/matrix", "text/html")
        assert again.content == first.content
        assert metric(server, "iopgraph_page_cache_hits_total") == first_hits + 1  # then cached
        time.sleep(1.0)
        assert precomputed_runs(server) == 0
