"""Hydra paging around a collection page: ``hydra:Collection`` with ``hydra:view`` first/previous/next/last.

The collection's IRI is its URL without paging parameters; the view's IRI is
the URL of the page. Both are URLs of this service (``base_url``), so a
harvester can follow them as they are.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pyoxigraph as ox

from iopgraph.core.namespaces import RDF_TYPE, XSD_INTEGER
from iopgraph.views.collections import DEFAULT_LIMIT, CollectionPage
from iopgraph.views.jsonld import JsonObject, document, frame

HYDRA = "http://www.w3.org/ns/hydra/core#"


class PageLinks:
    """The URLs of a collection and of its pages, with the filters kept in a canonical order."""

    def __init__(
        self, base_url: str, path: str, filters: list[tuple[str, str]], page: CollectionPage
    ) -> None:
        self.base = base_url.rstrip("/") + path
        self.filters = sorted((k, v) for k, v in filters if k not in ("page", "limit", "format"))
        self.page = page

    def url(self, page: int | None = None) -> str:
        params = list(self.filters)
        if self.page.limit != DEFAULT_LIMIT:
            params.append(("limit", str(self.page.limit)))
        if page is not None:
            params.append(("page", str(page)))
        return self.base + ("?" + urlencode(params) if params else "")

    @property
    def collection(self) -> str:
        return self.url()

    @property
    def view(self) -> str:
        return self.url(self.page.page)

    def relations(self) -> dict[str, str]:
        rel = {"first": self.url(1), "last": self.url(self.page.last_page)}
        if self.page.page > 1:
            rel["previous"] = self.url(self.page.page - 1)
        if self.page.page < self.page.last_page:
            rel["next"] = self.url(self.page.page + 1)
        return rel

    def link_header(self) -> str:
        names = {"first": "first", "last": "last", "previous": "prev", "next": "next"}
        return ", ".join(f'<{url}>; rel="{names[k]}"' for k, url in self.relations().items())


def collection_document(page: CollectionPage, links: PageLinks, context_url: str) -> JsonObject:
    """The page as a compacted JSON-LD ``hydra:Collection``; members in order under ``member``."""
    framed = frame(
        page.triples, list(page.members), reverse_predicates=page.spec.reverse | page.spec.full_reverse
    )
    view: JsonObject = {"@id": links.view, "@type": ["PartialCollectionView"], **links.relations()}
    top: JsonObject = {
        "@id": links.collection,
        "@type": ["Collection"],
        "title": page.spec.title,
        "totalItems": page.total,
        "member": framed.nodes,
        "view": view,
    }
    return document(context_url, framed, top)


def hydra_triples(page: CollectionPage, links: PageLinks) -> list[ox.Triple]:
    """The paging metadata as triples (for the Turtle and N-Triples of a page)."""
    collection, view = ox.NamedNode(links.collection), ox.NamedNode(links.view)
    triples = [
        ox.Triple(collection, RDF_TYPE, ox.NamedNode(HYDRA + "Collection")),
        ox.Triple(
            collection,
            ox.NamedNode("http://purl.org/dc/terms/title"),
            ox.Literal(page.spec.title, language="en"),
        ),
        ox.Triple(
            collection, ox.NamedNode(HYDRA + "totalItems"), ox.Literal(str(page.total), datatype=XSD_INTEGER)
        ),
        ox.Triple(collection, ox.NamedNode(HYDRA + "view"), view),
        ox.Triple(view, RDF_TYPE, ox.NamedNode(HYDRA + "PartialCollectionView")),
    ]
    triples += [ox.Triple(collection, ox.NamedNode(HYDRA + "member"), m) for m in page.members]
    triples += [
        ox.Triple(view, ox.NamedNode(HYDRA + rel), ox.NamedNode(url))
        for rel, url in links.relations().items()
    ]
    return triples
