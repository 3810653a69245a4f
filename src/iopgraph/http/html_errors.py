"""Error pages for people: a browser asking for a page that does not exist gets an HTML 404.

Machines keep ``application/problem+json`` (see :mod:`iopgraph.http.problems`); a
client gets the page only when its Accept header prefers ``text/html`` to
problem+json, as browsers' headers do (``*/*`` alone gets problem+json).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from iopgraph.core.conneg import NotAcceptable, negotiate
from iopgraph.core.errors import PROBLEM_MEDIA_TYPE


def prefers_html(request: Request) -> bool:
    """Whether the client prefers an HTML page to problem+json (GET and HEAD only)."""
    if request.method not in ("GET", "HEAD"):
        return False
    try:
        return (
            negotiate(request.headers.get("accept"), [PROBLEM_MEDIA_TYPE, "application/json", "text/html"])
            == "text/html"
        )
    except NotAcceptable:
        return False


def not_found_page(request: Request, detail: str, headers: dict[str, str] | None = None) -> Response:
    """The HTML 404 page, with the problem's detail and links to the home page and the ways to search."""
    from iopgraph.http import render

    extra = {**(headers or {}), "Vary": "Accept", "Cache-Control": "no-store"}
    return render.html(
        request,
        "not_found.html",
        {"title": "Page not found", "detail": detail, "path": request.url.path},
        headers=extra,
        status_code=404,
    )
