"""The JSON-LD of the views on the shipped graph: the same graph as the triples each view is made from,
and the bytes of ``json.dumps(..., indent=1)`` (issue 13 item 1: the framer's memo of leaf nodes and the
views' own JSON writer must change no document: each page's tree equals the one framed without the memo).

Each document is expanded by an independent processor (pyoxigraph's JSON-LD parser, with the shipped
context inlined) and compared with the page's triples; blank nodes are compared by count (their labels
are the parser's).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from iopgraph.core.sources import graph_sources
from iopgraph.store.backend import LocalBackend
from iopgraph.store.local import load_sources
from iopgraph.views import jsonld
from iopgraph.views.collections import COLLECTIONS, collection_page, parse_filters
from iopgraph.views.describe import describe
from iopgraph.views.documents import description_document
from iopgraph.views.hydra import PageLinks, collection_document, hydra_triples
from iopgraph.views.jsonld import JsonObject, context_text, dumps
from support.paths import ROOT

BASE = "http://testserver"
CONTEXT = BASE + "/context/v1.jsonld"
#: (collection, filters, page, limit): first pages, later pages, one page holding every member, filters
PAGES = [
    *((name, [], 1, 50) for name in COLLECTIONS),
    *((name, [], 2, 10) for name in COLLECTIONS),
    *((name, [], 1, 200) for name in COLLECTIONS),
    ("challenges", [("family", "cultural-interoperability")], 1, 50),
    ("mitigations", [("initiative", "flanders-smart-data-space")], 1, 50),
    ("initiatives", [("use-case", "true")], 1, 50),
]


@pytest.fixture(scope="module")
def backend() -> Iterator[LocalBackend]:
    store = ox.Store()
    load_sources(store, graph_sources(ROOT))
    yield LocalBackend(store)


def expanded(doc: JsonObject) -> set[ox.Triple]:
    inline = {**doc, "@context": json.loads(context_text())["@context"]}
    return {q.triple for q in ox.parse(json.dumps(inline).encode(), ox.RdfFormat.JSON_LD)}


def unmemoized(
    triples: list[ox.Triple], roots: list[ox.NamedNode], reverse: frozenset[str], max_depth: int = 3
) -> jsonld.Framed:
    """``jsonld.frame`` with every node made where it is used (no memo of leaf nodes): the reference."""
    framer = jsonld._Framer(triples, jsonld.load_context(), roots, reverse, max_depth)
    framer._leaves = None
    return jsonld.Framed([framer.node(r, 0, frozenset({r})) for r in roots], framer.leftovers())


def same_graph(doc: JsonObject, triples: list[ox.Triple], what: str) -> None:
    assert dumps(doc) == json.dumps(doc, ensure_ascii=False, indent=1).encode(), what
    got = expanded(doc)

    def named(ts: set[ox.Triple]) -> set[ox.Triple]:
        return {
            t
            for t in ts
            if not isinstance(t.subject, ox.BlankNode) and not isinstance(t.object, ox.BlankNode)
        }

    want = set(triples)
    assert named(got) == named(want), what
    assert len(got - named(got)) == len(want - named(want)), what


@pytest.mark.parametrize(("name", "params", "page", "limit"), PAGES)
def test_a_collection_page_is_the_graph_of_its_triples(
    backend: LocalBackend, name: str, params: list[tuple[str, str]], page: int, limit: int
) -> None:
    spec = COLLECTIONS[name]
    result = asyncio.run(collection_page(backend, spec, parse_filters(spec, params), page, limit))
    links = PageLinks(BASE, f"/api/{name}", params, result)
    reverse = spec.reverse | spec.full_reverse
    assert jsonld.frame(result.triples, result.members, reverse_predicates=reverse) == unmemoized(
        result.triples, result.members, reverse
    )
    same_graph(
        collection_document(result, links, CONTEXT), [*result.triples, *hydra_triples(result, links)], name
    )


def test_every_tenth_resource_is_the_graph_of_its_description(backend: LocalBackend) -> None:
    rows = asyncio.run(backend.select("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }"))
    iris = sorted(r["s"].value for r in rows)
    assert len(iris) > 1000  # the shipped graph
    for iri in iris[::10]:
        d = asyncio.run(describe(backend, ox.NamedNode(iri)))
        reverse = frozenset(t.predicate.value for t in d.incoming)
        assert jsonld.frame(d.triples, [d.iri], reverse_predicates=reverse) == unmemoized(
            d.triples, [d.iri], reverse
        ), iri
        same_graph(description_document(d, CONTEXT), d.triples, iri)
