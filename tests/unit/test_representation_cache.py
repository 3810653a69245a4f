"""Unit tests of iopgraph.http.representation_cache: what is kept, the byte bound, invalidation."""

from __future__ import annotations

import pytest
from fastapi import Response
from fastapi.responses import HTMLResponse, StreamingResponse

from iopgraph.http.representation_cache import RepresentationCache, storable


class Version:
    def __init__(self) -> None:
        self.value = "v1"

    def __call__(self) -> str:
        return self.value


def page(body: bytes = b"<p>ok</p>", **headers: str) -> Response:
    return Response(body, media_type="text/html", headers={"ETag": '"t"', **headers})


def page_with(headers: dict[str, str]) -> Response:
    return page(b"<p>ok</p>", **headers)


@pytest.mark.parametrize(
    ("response", "kept"),
    [
        (page(), True),
        (HTMLResponse("<p>ok</p>"), True),
        (Response(b"{}", status_code=404, media_type="application/problem+json"), False),
        (Response(b"{}", status_code=400, media_type="application/problem+json"), False),
        (Response(b"", status_code=304), False),
        (page_with({"Set-Cookie": "session=1"}), False),
        (page_with({"Cache-Control": "private, max-age=60"}), False),
        (page_with({"Cache-Control": "no-store"}), False),
        (page(Vary="Accept, Cookie"), False),
        (page(Vary="Authorization"), False),
        (page(Vary="*"), False),
        (page(Vary="Accept"), True),
        (StreamingResponse(iter([b"x"])), False),
    ],
)
def test_what_may_be_kept(response: Response, kept: bool) -> None:
    assert storable(response) is kept


def test_a_kept_response_comes_back_byte_for_byte_with_its_headers() -> None:
    cache = RepresentationCache(10_000, Version())
    original = page(Link='</x>; rel="alternate"')
    cache.put("k", "v1", original)
    found = cache.get("k", "v1")
    assert found is not None
    replay = found.response()
    assert replay.status_code == 200
    assert replay.body == original.body
    assert replay.raw_headers == original.raw_headers
    replay.headers["X-Added-By-Middleware"] = "1"  # each replay has its own header list
    assert "x-added-by-middleware" not in found.response().headers
    assert (cache.hits, cache.misses) == (1, 0)


def test_a_new_store_version_empties_the_cache() -> None:
    version = Version()
    cache = RepresentationCache(10_000, version)
    cache.put("k", "v1", page())
    version.value = "v2"
    assert cache.get("k", "v2") is None
    assert len(cache) == 0 and cache.bytes == 0


def test_a_response_made_at_an_older_version_is_not_kept() -> None:
    version = Version()
    cache = RepresentationCache(10_000, version)
    version.value = "v2"  # a write landed while the page was being made at v1
    cache.put("k", "v1", page())
    assert len(cache) == 0


def test_bounded_in_bytes_least_recently_used_out() -> None:
    cache = RepresentationCache(2_000, Version())
    for name in "abcd":
        cache.put(name, "v1", page(b"x" * 400))  # about 460 bytes each with the headers
    assert len(cache) == 4
    assert cache.get("a", "v1") is not None  # "a" is now the most recently used; "b" the least
    cache.put("e", "v1", page(b"x" * 400))
    assert cache.bytes <= 2_000
    assert cache.get("b", "v1") is None
    assert all(cache.get(name, "v1") is not None for name in "acde")
    cache.put("big", "v1", page(b"y" * 600))  # more than a quarter of the budget: not kept
    assert cache.get("big", "v1") is None


def test_zero_bytes_turns_it_off() -> None:
    cache = RepresentationCache(0, Version())
    cache.put("k", "v1", page())
    assert cache.get("k", "v1") is None and len(cache) == 0
