"""Content negotiation: pick a representation from an Accept header, q-values honoured.

A pure function of the header and the view's offer set (an offer set of
:mod:`iopgraph.core.media_types`), table-tested in tests/unit/test_conneg.py:

    >>> negotiate("text/turtle;q=0.9, application/ld+json", ["text/html", "text/turtle", "application/ld+json"])
    'application/ld+json'
    >>> negotiate("*/*", ["text/html", "text/turtle"])
    'text/html'

A ``format`` override (``?format=ttl`` or a media type) wins over the header; a short
name stands for the first offer it names (:func:`iopgraph.core.media_types.format_offer`).
Nothing acceptable raises :class:`NotAcceptable` listing the alternatives (406).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from iopgraph.core.errors import IopgraphError
from iopgraph.core.media_types import format_offer

#: Longest Accept header that is parsed; a longer one is refused (431) before any work is done on it.
MAX_ACCEPT_BYTES = 8192


class AcceptTooLarge(IopgraphError):
    status = 431
    code = "header-too-large"


class NotAcceptable(IopgraphError):
    status = 406
    code = "not-acceptable"

    def __init__(self, requested: str, offers: Sequence[str]) -> None:
        super().__init__(
            f"none of the requested media types ({requested}) can be served here; available: {', '.join(offers)}"
        )
        self.offers = list(offers)


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")

    def matches(self, media_type: str) -> bool:
        t, _, s = media_type.partition("/")
        return self.type in ("*", t) and self.subtype in ("*", s)


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an Accept header; malformed parts are skipped, q clamped to [0, 1]."""
    if header is not None and len(header) > MAX_ACCEPT_BYTES:
        raise AcceptTooLarge(
            f"the Accept header has {len(header)} characters; the limit is {MAX_ACCEPT_BYTES}"
        )
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges = []
    for order, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            if media == "*":
                media = "*/*"
            else:
                continue
        t, _, s = media.partition("/")
        if not t or not s or (t == "*" and s != "*"):
            continue
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(t, s, q, order))
    return ranges


def negotiate(accept: str | None, offers: Sequence[str], format_param: str | None = None) -> str:
    """The offer the client prefers most; ties go to the earlier offer (the server's preference)."""
    if format_param:
        wanted = format_offer(format_param, offers)
        if wanted is None:
            raise NotAcceptable(f"format={format_param}", offers)
        return wanted
    ranges = parse_accept(accept)
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for index, offer in enumerate(offers):
        matching = [r for r in ranges if r.matches(offer)]
        if not matching:
            continue
        # The most specific range decides the q of an offer (RFC 9110 §12.5.1).
        top = max(matching, key=lambda r: (r.specificity, -r.order))
        if top.q <= 0:
            continue
        score = (top.q, top.specificity, -index)
        if best is None or score > best:
            best, chosen = score, offer
    if chosen is None:
        raise NotAcceptable(accept or "", offers)
    return chosen
