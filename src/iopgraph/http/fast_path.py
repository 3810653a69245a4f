"""The fast path: a GET whose representation is in the representation cache is answered before routing.

A cached view costs what the middleware stack costs, but FastAPI's routing (every route's
pattern tried in turn), its dependency injection and the route's own conneg and validators
ran before :func:`iopgraph.http.conditional.early` found the stored bytes: about half of a
cached request's CPU. This middleware sits just outside the router (inside CORS, the
security headers, HEAD and the access log, so those still apply to every answer) and
remembers, for each request that a route answered from its representation (a 200 whose
validators :func:`~iopgraph.http.conditional.early` saw), which representation it was:

    alias  (path, raw query, Accept, Accept-Encoding)  →  the route's Validators (key, ETag, ...)

The next request with the same alias, at the same store version, is answered here with
exactly what the route would answer: ``304`` by the same RFC 9110 check
(:func:`~iopgraph.http.conditional.not_modified`, same headers), else the cached 200 (the same
bytes and headers, from the same cache, counted as the same hit). What a route's answer can
depend on is in the alias: a view's representation key is its path, query and negotiated
media type, and negotiation reads only ``Accept`` (dumps: ``Accept-Encoding``). Requests
carrying ``Authorization`` or ``Cookie`` never take the fast path (a person's view goes
through the route); an alias made at an older store version is never used (a write clears
them all), and one whose representation left the cache is dropped and the request routed.

The access log and the metrics still name the route (``route`` is the matched route's
template): the alias keeps the route object the router matched.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iopgraph.http.conditional import (
    SCOPE_KEY,
    FastPathNote,
    Validators,
    not_modified,
    not_modified_response,
)
from iopgraph.http.providers import context_of_app

#: Aliases kept (LRU); each is a few hundred bytes (its key and the route's validators).
MAX_ALIASES = 4096
#: Request headers that make a request personal: such a request always goes through its route.
_PERSONAL = (b"authorization", b"cookie")
#: Request headers the alias holds (what negotiation reads).
_NEGOTIATED = (b"accept", b"accept-encoding")
#: Request headers a conditional GET reads.
_CONDITIONAL = (b"if-none-match", b"if-modified-since")

AliasKey = tuple[str, bytes, bytes | None, bytes | None]


@dataclass(frozen=True)
class Alias:
    validators: Validators
    route: Any  # the router's matched route (the access log and metrics read its template)


class FastPath:
    """ASGI middleware: answer a GET from the representation cache when an earlier request named its entry."""

    def __init__(self, app: ASGIApp, answered: Counter | None = None, max_aliases: int = MAX_ALIASES) -> None:
        self.app = app
        self.max_aliases = max_aliases
        self._aliases: OrderedDict[AliasKey, Alias] = OrderedDict()
        self._version = ""
        #: counts the requests answered here (``iopgraph_fast_path_answers`` of ``/metrics``)
        self.answered = answered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        context = context_of_app(scope.get("app"))
        cache = context.representations if context is not None else None
        if context is None or cache is None or cache.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        accept = encoding = inm = ims = None
        for name, value in scope["headers"]:
            name = name.lower()
            if name in _PERSONAL:
                await self.app(scope, receive, send)
                return
            if name == b"accept":
                accept = value if accept is None else accept
            elif name == b"accept-encoding":
                encoding = value if encoding is None else encoding
            elif name == b"if-none-match":
                inm = value if inm is None else inm
            elif name == b"if-modified-since":
                ims = value if ims is None else ims
        version = str(context.backend.version)
        if version != self._version:
            self._aliases.clear()
            self._version = version
        key: AliasKey = (scope["path"], scope.get("query_string", b""), accept, encoding)
        alias = self._aliases.get(key)
        note = FastPathNote()
        if alias is not None:
            v = alias.validators
            cached = cache.get(v.key, v.store_version)
            conditional: dict[str, str] = {}
            if inm is not None:
                conditional["if-none-match"] = inm.decode("latin-1")
            if ims is not None:
                conditional["if-modified-since"] = ims.decode("latin-1")
            if conditional and not_modified(
                conditional, "GET", v.etag, v.last_modified, exists=cached is not None
            ):
                response = not_modified_response(v)
            elif cached is not None:
                response = cached.response()
            else:  # the representation left the cache: the route makes it again (the miss is counted once)
                del self._aliases[key]
                note.counted_miss = v.key
                response = None
            if response is not None:
                self._aliases.move_to_end(key)
                if self.answered is not None:
                    self.answered.inc()
                scope["route"] = alias.route
                await response(scope, receive, send)
                return
        scope[SCOPE_KEY] = note
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        seen = note.validators
        if status == 200 and seen is not None and not note.ambiguous and seen.store_version == self._version:
            self._aliases[key] = Alias(seen, scope.get("route"))
            self._aliases.move_to_end(key)
            while len(self._aliases) > self.max_aliases:
                self._aliases.popitem(last=False)

    def __len__(self) -> int:
        return len(self._aliases)
