"""Conditional GET for every read of the service: one ETag scheme and one RFC 9110 precondition check.

A representation is named by its key: the version of what it is made from
(the store's ``version`` unless a route says otherwise), the URL path, the
query (the raw query string, or what identifies a SPARQL request), and the
negotiated media type. Its ``ETag`` is a hash of that key: strong for the
views (same key, same bytes), weak where only the meaning is stable (SPARQL
results). Every GET and HEAD does::

    v = conditional.validators(request, media_type)
    if (early := conditional.early(request, v)) is not None:
        return early                 # 304, or the cached 200 of this representation
    ...build the response...
    return conditional.finish(response, v)   # render.* does this for you

:func:`early` answers ``304 Not Modified`` (RFC 9110 §13.1.2, §13.1.3, §13.2.2,
§15.4.5) before any work: ``If-None-Match`` by weak comparison, ``*`` and lists
included; ``If-Modified-Since`` only when there is no ``If-None-Match``. A 304
carries ``ETag``, ``Vary``, ``Cache-Control``, ``Last-Modified`` (and ``Content-Location``
when the 200 has one) and no body.
When the route's representation is cacheable, :func:`early` also serves it from
the app's :class:`~iopgraph.http.representation_cache.RepresentationCache`, and
:func:`finish` stores what the route built.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache

from fastapi import Request, Response

from iopgraph.http import providers
from iopgraph.http.representation_cache import RepresentationCache

#: One entity-tag of an If-None-Match list (RFC 9110 §8.8.3: ``[W/] "opaque"``).
_ENTITY_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')

#: Methods a precondition can turn into 304 (the others would get 412; the service has no such use).
CONDITIONAL_METHODS = ("GET", "HEAD")

#: Where :mod:`iopgraph.http.fast_path` leaves its :class:`FastPathNote` in the request's scope.
SCOPE_KEY = "iopgraph.fast_path"


def representation_key(version: str, path: str, query: str, media_type: str) -> str:
    """What names one representation: unambiguous (JSON), so no two different requests share it."""
    return json.dumps([version, path, query, media_type], ensure_ascii=False)


def etag_for(key: str, *, weak: bool = False) -> str:
    """The entity-tag of the representation named ``key``."""
    tag = '"' + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32] + '"'
    return "W/" + tag if weak else tag


@lru_cache(maxsize=64)
def _http_date_of(moment: datetime) -> str:
    """``moment`` as an IMF-fixdate (the store's last change: the same few values, formatted once each)."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


@dataclass(frozen=True)
class Validators:
    """The validators and cache headers of one representation, and where it may be cached."""

    etag: str
    last_modified: datetime
    vary: str | None = "Accept"
    cache_control: str = "public, max-age=60"
    #: the URL of this very representation, when it has one of its own (RFC 9110 §8.7)
    content_location: str | None = None
    key: str = ""
    #: the store version the representation was made at ("" when it does not depend on the store)
    store_version: str = ""
    #: the request said ``If-None-Match: *``: a 304 once the representation is known to exist
    star: bool = False
    cache: RepresentationCache | None = field(default=None, compare=False, repr=False)

    def headers(self) -> dict[str, str]:
        """The headers a 200 and a 304 of this representation both carry."""
        headers = {
            "ETag": self.etag,
            "Last-Modified": _http_date_of(self.last_modified),
            "Cache-Control": self.cache_control,
        }
        if self.vary:
            headers["Vary"] = self.vary
        if self.content_location:
            headers["Content-Location"] = self.content_location
        return headers


def entity_tags(if_none_match: str) -> list[str] | None:
    """The entity-tags of an ``If-None-Match`` list, ``["*"]`` for ``*``; None when it is malformed."""
    value = if_none_match.strip()
    if value == "*":
        return ["*"]
    tags: list[str] = []
    position = 0
    while position < len(value):
        found = _ENTITY_TAG.match(value, position)
        if found is None:
            return None
        tags.append((found.group(1) or "") + found.group(2))
        position = found.end()
    return tags


def weak_match(a: str, b: str) -> bool:
    """RFC 9110 §8.8.3.2: two entity-tags are weakly equal if their opaque tags are equal."""
    return a.removeprefix("W/") == b.removeprefix("W/")


def http_date(value: str) -> datetime | None:
    """An HTTP-date (IMF-fixdate, RFC 850 or asctime; the last two are UTC), or None when it is not one."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def not_modified(
    headers: Mapping[str, str], method: str, etag: str, last_modified: datetime, exists: bool = True
) -> bool:
    """Whether a GET/HEAD with these request ``headers`` gets 304 (the preconditions of RFC 9110 §13.2.2).

    ``exists`` is whether the target has a current representation (``If-None-Match: *`` matches only then).
    """
    if method not in CONDITIONAL_METHODS:
        return False
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = entity_tags(if_none_match)
        if not tags:
            return False  # malformed: the precondition cannot hold, so the request goes on (RFC 9110 §13.1.2)
        if tags == ["*"]:
            return exists
        return any(weak_match(tag, etag) for tag in tags)
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since is not None:
        since = http_date(if_modified_since)
        return since is not None and last_modified.replace(microsecond=0) <= since
    return False


def not_modified_response(v: Validators, headers: Mapping[str, str] | None = None) -> Response:
    """``304 Not Modified``: the validators and cache headers, no body."""
    return Response(status_code=304, headers={**(headers or {}), **v.headers()})


@dataclass
class FastPathNote:
    """What :func:`early` tells the fast path about one request (:mod:`iopgraph.http.fast_path`)."""

    #: the validators of the cacheable representation the route looked up
    validators: Validators | None = None
    #: the route looked up more than one representation: the request is not an alias of one
    ambiguous: bool = False
    #: the key whose cache miss the fast path has already counted (the route does not look it up again)
    counted_miss: str | None = None


def validators(
    request: Request,
    media_type: str,
    *,
    version: str | None = None,
    query: str | None = None,
    last_modified: datetime | None = None,
    vary: str | None = "Accept",
    cache_control: str | None = None,
    weak: bool = False,
    cache: bool | None = None,
    content_location: str | None = None,
) -> Validators:
    """The validators of this request's representation in ``media_type``.

    ``version`` defaults to the store's (a write changes every ETag); ``query`` to the raw query string
    (SPARQL passes what identifies its request, whatever the method). The representation is kept in the
    representation cache when ``cache`` is true; by default when it is made from the store alone
    (no ``version`` of its own).
    """
    context = providers.context(request)
    backend = context.backend
    store_version = str(backend.version)
    key = representation_key(
        version if version is not None else store_version,
        request.url.path,
        query if query is not None else request.url.query,
        media_type,
    )
    cacheable = version is None if cache is None else cache
    inm = request.headers.get("if-none-match")
    star = request.method in CONDITIONAL_METHODS and inm is not None and inm.strip() == "*"
    return Validators(
        etag=etag_for(key, weak=weak),
        last_modified=last_modified or backend.last_modified,
        vary=vary,
        cache_control=cache_control or f"public, max-age={context.settings.cache_max_age}",
        content_location=content_location,
        key=key,
        store_version=store_version,
        star=star,
        cache=context.representations if cacheable else None,
    )


def early(request: Request, v: Validators) -> Response | None:
    """The answer that needs no work: 304 when the client's copy is current, else the cached 200; or None."""
    cached = None
    if v.cache is not None:
        note: FastPathNote | None = request.scope.get(SCOPE_KEY)
        if note is not None:
            note.ambiguous = note.ambiguous or (note.validators is not None and note.validators.key != v.key)
            note.validators = v
        if note is None or note.counted_miss != v.key:
            cached = v.cache.get(v.key, v.store_version)
    if not_modified(request.headers, request.method, v.etag, v.last_modified, exists=cached is not None):
        return not_modified_response(v)
    return cached.response() if cached is not None else None


def finish(response: Response, v: Validators | None) -> Response:
    """The response a route built for ``v``: kept in the cache if it may be, and 304 for ``If-None-Match: *``."""
    if v is None or response.status_code != 200:
        return response
    if v.cache is not None:
        v.cache.put(v.key, v.store_version, response)
    if v.star:
        return not_modified_response(v)
    return response
