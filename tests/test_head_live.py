"""HEAD on the real `iopgraph serve` with the shipped graph: every GET route answers HEAD with the
GET's status and headers and no body (RFC 9110 §9.3.2), and a conditional HEAD gets the same 304."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.journeys import shipped_server

#: (path, Accept): pages, resources, collections, the catalogue, search, a named query, a dump, the feed.
ROUTES = [
    ("/", "text/html"),
    ("/challenges", "text/html"),
    ("/matrix", "text/html"),
    ("/id/initiative/flanders-smart-data-space", "text/html"),
    ("/id/initiative/flanders-smart-data-space", "text/turtle"),
    ("/api/challenges", "application/ld+json"),
    ("/catalog", "text/turtle"),
    ("/search?q=governance", "text/html"),
    ("/api/queries/use-cases", "application/sparql-results+json"),
    ("/dumps/iopgraph.nt", "application/n-triples"),
    ("/ldes", "text/turtle"),
]
SAME = ("content-type", "etag", "content-length", "cache-control", "vary", "link", "last-modified")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("head-live")
    with shipped_server(folder) as url:
        yield url


@pytest.mark.parametrize(("path", "accept"), ROUTES)
def test_head_is_the_get_without_its_body(base: str, path: str, accept: str) -> None:
    headers = {"Accept": accept, "Accept-Encoding": "identity"}
    got = httpx.get(base + path, headers=headers, timeout=60)
    head = httpx.head(base + path, headers=headers, timeout=60)
    assert got.status_code == 200, got.text[:300]
    assert head.status_code == 200
    assert head.content == b""
    for name in SAME:
        assert head.headers.get(name) == got.headers.get(name), name
    assert int(head.headers["content-length"]) == len(got.content) > 0


def test_a_conditional_head_gets_304(base: str) -> None:
    path = "/id/initiative/flanders-smart-data-space"
    etag = httpx.get(base + path, headers={"Accept": "text/html"}, timeout=60).headers["etag"]
    head = httpx.head(base + path, headers={"Accept": "text/html", "If-None-Match": etag}, timeout=60)
    assert (head.status_code, head.content, head.headers["etag"]) == (304, b"", etag)


def test_head_of_a_missing_resource_is_404_without_a_body(base: str) -> None:
    head = httpx.head(base + "/id/initiative/no-such-initiative", headers={"Accept": "text/html"}, timeout=60)
    assert (head.status_code, head.content) == (404, b"")


def test_head_does_not_open_writes(base: str) -> None:
    """HEAD runs as GET, never as a method that writes: /update has no GET, so HEAD is refused too."""
    assert httpx.head(base + "/update", timeout=60).status_code == 405
