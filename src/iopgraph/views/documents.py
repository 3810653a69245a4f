"""A resource description as a JSON-LD document and as the context of its HTML page."""

from __future__ import annotations

import json
from typing import Any

from iopgraph.core.media_types import HTML, RESOURCE_OFFERS, format_name, label
from iopgraph.store.backend import Backend
from iopgraph.views.describe import Description
from iopgraph.views.jsonld import JsonObject, document, frame
from iopgraph.views.links import local_href
from iopgraph.views.resource_page import resource_page
from iopgraph.views.rollup import breadcrumbs, cited_in, rollup


def description_document(d: Description, context_url: str) -> JsonObject:
    """The resource as one compacted JSON-LD node; incoming links as reverse properties."""
    reverse = frozenset(t.predicate.value for t in d.incoming)
    return document(context_url, frame(d.triples, [d.iri], reverse_predicates=reverse))


def format_links(path: str) -> list[dict[str, str]]:
    """The other formats of a resource page: each with its ``?format=`` link and label."""
    return [
        {"href": f"{path}?format={name}", "type": m, "name": label(m)}
        for m in RESOURCE_OFFERS
        if m != HTML and (name := format_name(m, RESOURCE_OFFERS))
    ]


async def description_page(backend: Backend, d: Description, context_url: str) -> dict[str, Any]:
    """Template context of ``resource.html``."""
    page = await resource_page(backend, d)
    path = local_href(d.iri.value).split("#", 1)[0]
    links = format_links(path)
    return {
        "title": page.label,
        "page": page,
        "format_links": links,
        "alternates": [{"type": link["type"], "href": link["href"]} for link in links],
        "jsonld": _script_safe(description_document(d, context_url)),
        "breadcrumbs": await breadcrumbs(backend, d.iri.value, types=page.type_iris),
        "rollup": await rollup(backend, d.iri.value),
        "cited_in": await cited_in(backend, d.iri.value),
    }


def _script_safe(doc: JsonObject) -> str:
    """JSON for a <script> element: no ``</script>`` can close it early."""
    return json.dumps(doc, ensure_ascii=False).replace("</", "<\\/")
