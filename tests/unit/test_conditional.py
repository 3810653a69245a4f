"""Unit tests of iopgraph.http.conditional: the ETag scheme and the RFC 9110 preconditions, as a table."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import Request, Response

from iopgraph.http import conditional
from iopgraph.http.conditional import (
    entity_tags,
    etag_for,
    http_date,
    not_modified,
    representation_key,
    weak_match,
)
from iopgraph.http.representation_cache import RepresentationCache

MODIFIED = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
TAG = '"abc"'
LATER = "Sun, 01 Mar 2026 12:00:01 GMT"
SAME = "Sun, 01 Mar 2026 12:00:00 GMT"
EARLIER = "Sun, 01 Mar 2026 11:59:59 GMT"

# (name, request headers, method, exists, 304?)
CASES: list[tuple[str, dict[str, str], str, bool, bool]] = [
    ("no precondition", {}, "GET", True, False),
    ("same strong tag", {"if-none-match": '"abc"'}, "GET", True, True),
    ("weak form of the tag (weak comparison)", {"if-none-match": 'W/"abc"'}, "GET", True, True),
    ("other tag", {"if-none-match": '"abd"'}, "GET", True, False),
    ("tag in a list", {"if-none-match": '"x", W/"abc", "y"'}, "GET", True, True),
    ("list without the tag", {"if-none-match": '"x", "y"'}, "GET", True, False),
    ("list without spaces", {"if-none-match": '"x","abc"'}, "GET", True, True),
    ("a comma inside a tag is part of it", {"if-none-match": '"a,bc"'}, "GET", True, False),
    ("star, representation exists", {"if-none-match": "*"}, "GET", True, True),
    ("star, no representation", {"if-none-match": "*"}, "GET", False, False),
    ("unquoted tag is not a tag", {"if-none-match": "abc"}, "GET", True, False),
    ("lower-case w/ is not the weak prefix", {"if-none-match": 'w/"abc"'}, "GET", True, False),
    ("malformed list", {"if-none-match": '"abc" "x"'}, "GET", True, False),
    ("empty If-None-Match", {"if-none-match": ""}, "GET", True, False),
    ("HEAD like GET", {"if-none-match": '"abc"'}, "HEAD", True, True),
    ("POST is never 304", {"if-none-match": '"abc"'}, "POST", True, False),
    ("modified since an earlier date", {"if-modified-since": EARLIER}, "GET", True, False),
    ("not modified since the same second", {"if-modified-since": SAME}, "GET", True, True),
    ("not modified since a later date", {"if-modified-since": LATER}, "GET", True, True),
    ("RFC 850 date", {"if-modified-since": "Sunday, 01-Mar-26 12:00:00 GMT"}, "GET", True, True),
    ("asctime date (UTC)", {"if-modified-since": "Sun Mar  1 12:00:00 2026"}, "GET", True, True),
    ("an offset is honoured", {"if-modified-since": "Sun, 01 Mar 2026 13:00:00 +0200"}, "GET", True, False),
    ("invalid date is ignored", {"if-modified-since": "yesterday"}, "GET", True, False),
    ("If-Modified-Since on POST is ignored", {"if-modified-since": LATER}, "POST", True, False),
    (
        "If-None-Match wins over If-Modified-Since (no match)",
        {"if-none-match": '"other"', "if-modified-since": LATER},
        "GET",
        True,
        False,
    ),
    (
        "If-None-Match wins over If-Modified-Since (match)",
        {"if-none-match": '"abc"', "if-modified-since": EARLIER},
        "GET",
        True,
        True,
    ),
]


@pytest.mark.parametrize(
    ("headers", "method", "exists", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_preconditions(headers: dict[str, str], method: str, exists: bool, expected: bool) -> None:
    assert not_modified(headers, method, TAG, MODIFIED, exists=exists) is expected


def test_a_weak_etag_is_matched_by_its_strong_and_weak_forms() -> None:
    assert not_modified({"if-none-match": '"abc"'}, "GET", 'W/"abc"', MODIFIED)
    assert not_modified({"if-none-match": 'W/"abc"'}, "GET", 'W/"abc"', MODIFIED)
    assert weak_match('W/"a"', '"a"') and not weak_match('"a"', '"b"')


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ("*", ["*"]),
        (' "a" ', ['"a"']),
        ('"a", W/"b"', ['"a"', 'W/"b"']),
        ('"a,b"', ['"a,b"']),
        ('""', ['""']),
        ("a", None),
        ('"a" junk', None),
        ('"a" "b"', None),
    ],
)
def test_entity_tag_lists(header: str, tags: list[str] | None) -> None:
    assert entity_tags(header) == tags


def test_http_dates() -> None:
    assert http_date(SAME) == MODIFIED
    assert http_date("Sun Mar  1 12:00:00 2026") == MODIFIED  # asctime has no zone: UTC
    assert http_date("not a date") is None


def test_etag_names_version_path_query_and_media_type() -> None:
    base = representation_key("v1", "/id/x", "format=ttl", "text/turtle")
    others = [
        representation_key("v2", "/id/x", "format=ttl", "text/turtle"),
        representation_key("v1", "/id/y", "format=ttl", "text/turtle"),
        representation_key("v1", "/id/x", "format=nt", "text/turtle"),
        representation_key("v1", "/id/x", "format=ttl", "application/n-triples"),
        # the separator cannot be forged: "/id/x|y" + "" is not "/id/x" + "y|"
        representation_key("v1", "/id/x", "format=ttl|text/turtle", ""),
    ]
    tags = {etag_for(k) for k in [base, *others]}
    assert len(tags) == 1 + len(others)
    assert etag_for(base) == etag_for(representation_key("v1", "/id/x", "format=ttl", "text/turtle"))
    assert etag_for(base).startswith('"') and etag_for(base, weak=True) == "W/" + etag_for(base)


# --- validators / early / finish over a request -----------------------------------------------------


class _Backend:
    def __init__(self) -> None:
        self.version = "v1"
        self.last_modified = MODIFIED


def _app(cache_bytes: int = 1_000_000) -> Any:
    backend = _Backend()
    context = SimpleNamespace(
        backend=backend,
        settings=SimpleNamespace(cache_max_age=60),
        representations=RepresentationCache(cache_bytes, lambda: backend.version),
    )
    return SimpleNamespace(state=SimpleNamespace(context=context))


def _request(
    app: Any, path: str = "/challenges", query: str = "", headers: dict[str, str] | None = None
) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": raw,
        "app": app,
        "scheme": "http",
        "server": ("testserver", 80),
    }
    return Request(scope)


def test_a_304_carries_the_validators_and_no_body() -> None:
    app = _app()
    v = conditional.validators(_request(app), "text/html")
    response = conditional.early(_request(app, headers={"If-None-Match": v.etag}), v)
    assert response is not None and response.status_code == 304
    assert response.body == b""
    assert response.headers["etag"] == v.etag
    assert response.headers["vary"] == "Accept"
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["last-modified"] == SAME


def test_the_second_request_is_served_from_the_cache_until_the_store_version_moves() -> None:
    app = _app()
    v = conditional.validators(_request(app), "text/html")
    assert conditional.early(_request(app), v) is None  # nothing cached yet: the route builds it
    built = conditional.finish(Response(b"<p>page</p>", media_type="text/html", headers=v.headers()), v)
    assert built.status_code == 200
    again = conditional.validators(_request(app), "text/html")
    cached = conditional.early(_request(app), again)
    assert cached is not None and cached.status_code == 200 and cached.body == b"<p>page</p>"
    assert cached.headers["etag"] == v.etag
    app.state.context.backend.version = "v2"  # an accepted write
    after = conditional.validators(_request(app), "text/html")
    assert after.etag != v.etag
    assert conditional.early(_request(app), after) is None
    assert len(app.state.context.representations) == 0


def test_star_is_304_only_once_the_representation_is_known_to_exist() -> None:
    app = _app(cache_bytes=0)
    star = _request(app, headers={"If-None-Match": "*"})
    v = conditional.validators(star, "text/html")
    assert conditional.early(star, v) is None  # the route may still answer 404
    finished = conditional.finish(Response(b"x", media_type="text/html", headers=v.headers()), v)
    assert finished.status_code == 304 and finished.body == b""


def test_routes_with_their_own_version_are_not_cached_unless_they_say_so() -> None:
    app = _app()
    assert conditional.validators(_request(app), "text/css", version="sha-of-file").cache is None
    assert conditional.validators(_request(app), "text/css", version="x", cache=True).cache is not None
    assert conditional.validators(_request(app), "text/html", cache=False).cache is None
