"""Real clients against a real `iopgraph serve FILE` process: SPARQLWrapper, rdflib, plain HTTP (as curl)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from support.server import serve
from support.sparql import EX, GRAPH


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with serve([GRAPH]) as base:
        yield base + "/sparql"


def test_sparqlwrapper_select_get_and_post(endpoint: str) -> None:
    from SPARQLWrapper import JSON, POST, SPARQLWrapper

    client = SPARQLWrapper(endpoint)
    client.setQuery(f"SELECT ?p WHERE {{ ?p a <{EX}Person> }} ORDER BY ?p")
    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert [r["p"]["value"] for r in rows] == [EX + "alice", EX + "bob", EX + "carol"]
    client.setMethod(POST)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert len(rows) == 3


def test_sparqlwrapper_construct_and_ask(endpoint: str) -> None:
    import rdflib
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    client = SPARQLWrapper(endpoint)
    client.setQuery(f"CONSTRUCT WHERE {{ <{EX}alice> <{EX}knows> ?o }}")
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.queryAndConvert(), format="turtle")  # type: ignore[arg-type]
    assert (rdflib.URIRef(EX + "alice"), rdflib.URIRef(EX + "knows"), rdflib.URIRef(EX + "bob")) in graph
    client.setQuery(f"ASK {{ <{EX}bob> a <{EX}Person> }}")
    client.setReturnFormat(JSON)
    assert client.queryAndConvert()["boolean"] is True  # type: ignore[index]


def test_rdflib_service_style_remote_query(endpoint: str) -> None:
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(endpoint, returnFormat="json")
    rows = list(
        store.query(f"SELECT ?l WHERE {{ <{EX}alice> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}")
    )
    assert [str(r[0]) for r in rows] == ["Alice"]


def test_plain_http_like_curl(endpoint: str) -> None:
    r = httpx.post(
        endpoint, data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"}
    )
    assert r.status_code == 200 and r.text.splitlines()[0] == "n" and int(r.text.splitlines()[1]) > 10
