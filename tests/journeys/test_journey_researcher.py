"""The researcher's first hour: the README's SPARQL client in every format, and every named query.

Against a real `iopgraph serve` on the shipped graph (random port, no IOPGRAPH_BASE_URL).
SPARQLWrapper is the client the README recommends; it sends ``format`` and ``output``
parameters (twice, spelled two ways, for TSV, RDF/XML and JSON-LD) beside a correct
Accept header, and the endpoint must follow the Accept header (issue 10, item 11).
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import httpx
import pytest
import rdflib

from support.paths import ROOT

SKOS = "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
REPORT = "https://w3id.org/iopgraph/id/report/d06-02"
QUERIES = {
    "SELECT": SKOS + "SELECT ?c ?label WHERE { ?c skos:prefLabel ?label } ORDER BY ?c LIMIT 5",
    "ASK": SKOS + "ASK { ?c skos:prefLabel ?label }",
    "CONSTRUCT": SKOS + "CONSTRUCT { ?c skos:prefLabel ?label } WHERE { ?c skos:prefLabel ?label } LIMIT 5",
    "DESCRIBE": f"DESCRIBE <{REPORT}>",
}
#: Every return format SPARQLWrapper offers for each query form.
FORMATS = {
    "SELECT": ["json", "xml", "csv", "tsv"],
    "ASK": ["json", "xml", "csv", "tsv"],
    "CONSTRUCT": ["turtle", "n3", "rdf+xml", "json-ld", "xml"],
    "DESCRIBE": ["turtle", "n3", "rdf+xml", "json-ld", "xml"],
}
#: Named queries whose answer on the shipped graph is empty by design (tests/test_queries.py checks why).
EMPTY_ON_THE_SHIPPED_GRAPH = {"unaddressed-challenges"}
CASES = [(form, fmt, method) for form, fmts in FORMATS.items() for fmt in fmts for method in ("GET", "POST")]


def _check_result(form: str, fmt: str, converted: Any) -> None:
    """The converted result holds what the query asked for, whatever the format."""
    if form == "SELECT":
        if fmt == "json":
            assert len(converted["results"]["bindings"]) == 5
        elif fmt == "xml":
            assert len(converted.getElementsByTagName("result")) == 5
        else:  # CSV / TSV: bytes, a header and five rows
            lines = converted.decode().strip().splitlines()
            assert len(lines) == 6 and "c" in lines[0]
    elif form == "ASK":
        if fmt == "json":
            assert converted["boolean"] is True
        elif fmt == "xml":
            assert converted.getElementsByTagName("boolean")[0].firstChild.data == "true"
        else:
            assert converted.decode().strip().splitlines()[-1].strip().lower() in ("true", "1")
    else:
        graph = (
            converted
            if isinstance(converted, rdflib.Graph)
            else rdflib.Graph().parse(data=converted, format="json-ld" if fmt == "json-ld" else "turtle")
        )
        assert len(graph) >= (5 if form == "CONSTRUCT" else 3)
        if form == "DESCRIBE":
            assert (rdflib.URIRef(REPORT), None, None) in graph


@pytest.mark.parametrize(("form", "fmt", "method"), CASES, ids=[f"{f}-{x}-{m}" for f, x, m in CASES])
def test_sparqlwrapper_every_format(shipped_base: str, form: str, fmt: str, method: str) -> None:
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(shipped_base + "/sparql")
    client.setQuery(QUERIES[form])
    client.setReturnFormat(fmt)
    client.setMethod(method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SPARQLWrapper warns about formats it converts itself
        result = client.query()
        converted = result.convert()
    _check_result(form, fmt, converted)


def test_repeated_identical_and_unknown_parameters_are_accepted(shipped_base: str) -> None:
    """``format`` given twice with one value, an unknown ``results`` parameter: the query still runs."""
    params = [
        ("query", QUERIES["ASK"]),
        ("format", "json"),
        ("format", "json"),
        ("output", "json"),
        ("results", "json"),
        ("timeout", "0"),
    ]
    r = httpx.get(shipped_base + "/sparql", params=params)
    assert r.status_code == 200, r.text
    assert r.json()["boolean"] is True


def test_disagreeing_format_parameters_leave_the_choice_to_accept(shipped_base: str) -> None:
    params = [
        ("query", QUERIES["SELECT"]),
        ("format", "tsv"),
        ("format", "text/tab-separated-values"),
        ("output", "tsv"),
    ]
    r = httpx.get(shipped_base + "/sparql", params=params, headers={"Accept": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")


def test_head_reports_the_length_get_sends(shipped_base: str) -> None:
    params = {"query": QUERIES["SELECT"]}
    got = httpx.get(shipped_base + "/sparql", params=params, headers={"Accept": "text/csv"})
    head = httpx.head(shipped_base + "/sparql", params=params, headers={"Accept": "text/csv"})
    assert got.status_code == head.status_code == 200
    assert head.headers["content-length"] == str(len(got.content)) != "0"
    assert head.content == b""


def _named_queries(base: str) -> list[dict[str, Any]]:
    listing = httpx.get(base + "/api/queries", timeout=30)
    assert listing.status_code == 200
    queries: list[dict[str, Any]] = listing.json()["queries"]
    return queries


def test_every_named_query_is_listed(shipped_base: str) -> None:
    names = {q["name"] for q in _named_queries(shipped_base)}
    assert names == {p.stem for p in (ROOT / "queries").glob("*.rq")}


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "queries").glob("*.rq")))
def test_every_named_query_runs_through_the_api(shipped_base: str, name: str) -> None:
    """Each queries/*.rq, by the link /api/queries gives, with its documented example parameters."""
    (query,) = [q for q in _named_queries(shipped_base) if q["name"] == name]
    assert query["href"].startswith(shipped_base + "/"), query["href"]
    params = {p["name"]: p["example"] for p in query["parameters"] if p.get("example") is not None}
    assert not [p["name"] for p in query["parameters"] if p["required"] and p.get("example") is None]
    accept = "application/sparql-results+json" if query["form"] in ("SELECT", "ASK") else "text/turtle"
    r = httpx.get(query["href"], params=params, headers={"Accept": accept}, timeout=60)
    assert r.status_code == 200, r.text[:500]
    if query["form"] == "SELECT":
        rows = r.json()["results"]["bindings"]
        assert bool(rows) is (name not in EMPTY_ON_THE_SHIPPED_GRAPH), f"{name}: {len(rows)} rows"
        for link in r.headers.get("link", "").split(","):
            if link.strip():
                assert link.strip().startswith("<" + shipped_base + "/"), link
    elif query["form"] == "ASK":
        assert isinstance(json.loads(r.content)["boolean"], bool)
    else:
        assert len(rdflib.Graph().parse(data=r.text, format="turtle")) > 0
