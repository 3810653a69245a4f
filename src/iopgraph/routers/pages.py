"""Pages for people: home, challenge tree, use cases, lists, statistics chart, matrix, downloads, CSS."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response

from iopgraph.core.errors import ResourceNotFound
from iopgraph.core.media_types import HTML, JSONLD, TEXT, TURTLE, text_content_type
from iopgraph.http import conditional, providers, render
from iopgraph.search.views import LIST_TYPES, list_query
from iopgraph.views import guides, pages
from iopgraph.views.collections import COLLECTIONS, paging

router = APIRouter(tags=["pages"])
STATIC = Path(__file__).resolve().parents[1] / "static"

LISTS = {
    "mitigations": (
        "Mitigations and good practices",
        "Measures and practices that address the challenges; good practices are the ones the report "
        "observed in a use case.",
    ),
    "recommendations": (
        "EIF4SCC recommendations",
        "Recommendations of the European Interoperability Framework for Smart Cities and Communities "
        "that the report cites behind its mitigations.",
    ),
    "organisations": (
        "Organisations",
        "Organisations the report names, with the initiatives they take part in.",
    ),
    "initiatives": (
        "Initiatives",
        "Data spaces and local digital twins the report names, the four use cases first among them.",
    ),
}


async def page(request: Request, template: str, build: Callable[[], Awaitable[dict[str, Any]]]) -> Response:
    validators = conditional.validators(request, HTML)
    if (early := conditional.early(request, validators)) is not None:
        return early
    return render.html(request, template, await build(), validators)


@router.get("/", summary="Home page")
async def home(request: Request) -> Response:
    async def build() -> dict[str, Any]:
        return {
            "title": "Home",
            "counts": await pages.counts(providers.backend(request)),
            "collections": list(COLLECTIONS),
        }

    return await page(request, "home.html", build)


@router.get("/challenges", summary="The challenge tree (HTML)")
async def challenges(request: Request) -> Response:
    async def build() -> dict[str, Any]:
        return {
            "title": "Challenge tree",
            "tree": await pages.challenge_tree(providers.backend(request)),
            "alternates": [{"type": JSONLD, "href": "/api/challenges"}],
        }

    return await page(request, "challenges.html", build)


@router.get("/use-cases", summary="The four use cases with their organisations and roles (HTML)")
async def use_cases(request: Request) -> Response:
    async def build() -> dict[str, Any]:
        return {
            "title": "Use cases",
            "intro": "The four initiatives the report analyses in depth, who takes part "
            "in them and in which role, and the practices they illustrate.",
            "api": "/api/initiatives?use-case=true",
            "cards": await pages.use_cases(providers.backend(request)),
            "participants_caption": "Organisations and roles",
            "participants_columns": ("Organisation", "Role"),
        }

    return await page(request, "list.html", build)


def _list_route(name: str) -> None:
    title, intro = LISTS[name]

    async def handler(request: Request) -> Response:
        number, _ = paging(request.query_params.get("page"), str(pages.LIST_PAGE_SIZE))  # 400 if not a page

        async def build() -> dict[str, Any]:
            found = await pages.cards(providers.backend(request), name, number)
            return {
                "title": title,
                "intro": intro,
                "api": f"/api/{name}",
                "find": LIST_TYPES.get(name, ()),
                "find_query": list_query(name) if name in LIST_TYPES else "",
                "cards": found.cards,
                "pager": found,
                "participants_caption": "Takes part in",
                "participants_columns": ("Initiative", "Role"),
            }

        return await page(request, "list.html", build)

    handler.__name__ = f"list_{name}"
    router.add_api_route(f"/{name}", handler, methods=["GET"], summary=f"{title} (HTML)")


for _name in LISTS:
    _list_route(_name)


@router.get("/statistics", summary="The statistics of the report, with a chart (HTML)")
async def statistics(request: Request) -> Response:
    async def build() -> dict[str, Any]:
        figures = await pages.statistics(providers.backend(request))
        return {"title": "Statistics", "figures": figures, "chart": pages.chart(figures)}

    return await page(request, "statistics.html", build)


@router.get("/matrix", summary="Challenges × use cases (HTML)")
async def matrix(request: Request) -> Response:
    async def build() -> dict[str, Any]:
        cases, rows = await pages.matrix(providers.backend(request))
        return {"title": "Challenges × use cases", "cases": cases, "rows": rows}

    return await page(request, "matrix.html", build)


STATIC_FILES = {
    "style.css": "text/css; charset=utf-8",
    "favicon.ico": "image/x-icon",
    "favicon.svg": "image/svg+xml",
    "sparql-editor.js": "text/javascript; charset=utf-8",
}


def _static(request: Request, name: str) -> Response:
    body = (STATIC / name).read_bytes()
    validators = conditional.validators(
        request,
        STATIC_FILES[name],
        version=hashlib.sha256(body).hexdigest(),
        vary=None,
        cache_control="public, max-age=3600",
    )
    if (early := conditional.early(request, validators)) is not None:
        return early
    return render.bytes_response(body, STATIC_FILES[name], validators)


@router.get("/static/style.css", include_in_schema=False)
async def stylesheet(request: Request) -> Response:
    return _static(request, "style.css")


@router.get("/static/favicon.svg", include_in_schema=False)
async def favicon_svg(request: Request) -> Response:
    return _static(request, "favicon.svg")


@router.get("/static/sparql-editor.js", include_in_schema=False)
async def editor_script(request: Request) -> Response:
    return _static(request, "sparql-editor.js")


@router.get("/favicon.ico", include_in_schema=False)
async def favicon(request: Request) -> Response:
    return _static(request, "favicon.ico")


def _docs(request: Request) -> Path:
    return Path(providers.settings(request).root) / "docs"


@router.get("/guides", summary="The project's guides (docs/*.md) as pages (HTML)")
async def guides_index(request: Request) -> Response:
    async def build() -> dict[str, Any]:
        docs = _docs(request)
        found = [guides.render_guide(docs / f"{name}.md") for name in guides.guide_names(docs)]
        return {"title": "Guides", "guides": found}

    return await page(request, "guides.html", build)


@router.get("/guides/{name}", summary="One guide of the project (docs/<name>.md) as a page (HTML)")
async def guide(request: Request, name: str) -> Response:
    docs = _docs(request)
    if name not in guides.guide_names(docs):
        raise ResourceNotFound(f"no guide called {name[:100]!r}; the guides are listed at /guides")

    async def build() -> dict[str, Any]:
        found = guides.render_guide(docs / f"{name}.md")
        return {"title": found.title, "guide": found}

    return await page(request, "guide.html", build)


@router.get("/guides/examples/{name}", summary="An example file of the guides (docs/examples/<name>)")
async def guide_example(request: Request, name: str) -> Response:
    path = _docs(request) / "examples" / name
    if not guides.EXAMPLE.match(name) or not path.is_file():
        raise ResourceNotFound(f"no example file called {name[:100]!r}")
    body = path.read_bytes()
    media_type = text_content_type(TURTLE if name.endswith(".ttl") else TEXT)
    validators = conditional.validators(
        request, media_type, version=hashlib.sha256(body).hexdigest(), vary=None
    )
    if (early := conditional.early(request, validators)) is not None:
        return early
    return render.bytes_response(body, media_type, validators)
