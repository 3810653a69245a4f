"""The rendered-representation cache: the bytes and headers of GET responses, keyed on what names them.

A view (home, lists, the challenge tree, the matrix, a resource page, a
collection, guidance, a dump) is a pure function of the store version and the
request's representation (path, query, negotiated media type), so its
response can be kept and served again until the next accepted write. Keys are
the representation keys of :mod:`iopgraph.http.conditional` (they hold the
store version); when the store version moves, every entry goes at once.

Kept: ``200`` responses with a body in memory. Never kept: errors and problem
responses, responses that set a cookie, that are ``private`` or ``no-store``,
or that vary on ``Cookie`` or ``Authorization`` (a signed-in steward's view),
and representations larger than a quarter of the budget. Bounded in bytes
(``IOPGRAPH_PAGE_CACHE_BYTES``; 0 turns it off), least recently used first out.

    cache = RepresentationCache(max_bytes=64_000_000, version=lambda: backend.version)
    cache.put(key, version, response); cache.get(key, version)  # a CachedRepresentation or None
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Response

#: Cache-Control directives that forbid keeping a response.
_PRIVATE = ("private", "no-store")
#: Request headers whose presence in Vary marks a response as per-person.
_PERSONAL = ("cookie", "authorization", "*")


class _Replayed(Response):
    """A response made of stored bytes and headers (nothing re-computed)."""

    def __init__(self, body: bytes, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = 200
        self.body = body
        self.background = None
        self.raw_headers = raw_headers


@dataclass(frozen=True)
class CachedRepresentation:
    body: bytes
    raw_headers: tuple[tuple[bytes, bytes], ...]

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.raw_headers)

    def response(self) -> Response:
        """A fresh response with the stored bytes and headers (its own header list: middleware may add)."""
        return _Replayed(self.body, list(self.raw_headers))


def storable(response: Response) -> bool:
    """Whether ``response`` may be kept and served to anyone who asks for the same representation."""
    if response.status_code != 200 or not isinstance(getattr(response, "body", None), bytes):
        return False
    headers = response.headers
    if "set-cookie" in headers:
        return False
    cache_control = headers.get("cache-control", "").lower()
    if any(directive in cache_control for directive in _PRIVATE):
        return False
    vary = [part.strip().lower() for part in headers.get("vary", "").split(",")]
    return not any(name in vary for name in _PERSONAL)


class RepresentationCache:
    """An LRU of rendered representations, bounded in bytes, emptied when the store version changes."""

    def __init__(self, max_bytes: int, version: Callable[[], str]) -> None:
        self.max_bytes = max_bytes
        self._version = version
        self._at = ""  # the store version the entries were made at
        self._entries: OrderedDict[str, CachedRepresentation] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0
        self._served: set[str] = set()  # keys served from the cache at the current version
        #: the keys served from the cache at the version before (what people asked for again)
        self.served_before: frozenset[str] = frozenset()

    def _align(self, version: str) -> bool:
        """Drop every entry if the store moved on; whether ``version`` is the current one."""
        current = self._version()
        if current != self._at:
            self._entries.clear()
            self._bytes = 0
            self._at = current
            self.served_before, self._served = frozenset(self._served), set()
        return version == current

    def refresh(self) -> None:
        """Catch up with the store version now (entries of an older one go, ``served_before`` moves)."""
        self._align(self._version())

    def get(self, key: str, version: str) -> CachedRepresentation | None:
        """The representation ``key`` made at store ``version``, if it is kept and still current."""
        if self.max_bytes <= 0:
            return None
        found = self._entries.get(key) if self._align(version) else None
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        self._served.add(key)
        return found

    def put(self, key: str, version: str, response: Response) -> None:
        """Keep ``response`` as the representation ``key`` made at store ``version`` (if it may be kept)."""
        if self.max_bytes <= 0 or not self._align(version) or not storable(response):
            return  # a write landed while the response was made: it may mix two versions
        entry = CachedRepresentation(bytes(response.body), tuple(response.raw_headers))
        if entry.size > self.max_bytes // 4:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        self._entries[key] = entry
        self._bytes += entry.size
        while self._bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)
