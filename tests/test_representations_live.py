"""The representation registry on a real `iopgraph serve`: ``?format=``, ``Accept`` and the Link alternates.

Each ``?format=`` name a page advertises in its ``Link: rel="alternate"`` header is
followed and must give that media type; ``?format=json`` on a JSON-LD view gives the
same document ``Accept: application/json`` gives; an unknown format is a 406 problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from support.project import build_project
from support.server import serve

LINK = re.compile(r'<([^>]*)>;\s*rel="alternate";\s*type="([^"]+)"')
HEAD_LINK = re.compile(r'<link rel="alternate" type="([^"]+)" href="([^"]+)"')


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder: Path = tmp_path_factory.mktemp("representations")
    env = {
        "IOPGRAPH_ROOT": str(build_project(folder)),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_QUERY_WORKERS": "1",
    }
    with serve([], env, timeout=120) as base, httpx.Client(base_url=base, timeout=60) as c:
        yield c


def _resource(client: httpx.Client) -> str:
    doc = client.get("/api/initiatives", params={"limit": 1}).json()
    return str(doc["member"][0]["@id"])


def _media_type(r: httpx.Response) -> str:
    return r.headers["content-type"].split(";", 1)[0].strip()


def test_format_json_on_a_collection_is_the_document_accept_json_gives(client: httpx.Client) -> None:
    by_format = client.get("/api/challenges", params={"format": "json"})
    by_accept = client.get("/api/challenges", headers={"Accept": "application/json"})
    assert by_format.status_code == 200 and by_accept.status_code == 200, by_format.text
    assert _media_type(by_format) == "application/ld+json"
    assert _media_type(by_accept) == "application/json"
    assert by_format.json() == by_accept.json()
    assert by_format.json()["@context"].endswith("/context/v1.jsonld")


@pytest.mark.parametrize(
    ("fmt", "media_type", "syntax"),
    [
        ("ttl", "text/turtle", ox.RdfFormat.TURTLE),
        ("nt", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("rdf", "application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("jsonld", "application/ld+json", None),
        ("json", "application/ld+json", None),
    ],
)
def test_a_resource_in_each_format(
    client: httpx.Client, fmt: str, media_type: str, syntax: ox.RdfFormat | None
) -> None:
    iri = _resource(client)
    r = client.get(iri.replace("https://w3id.org/iopgraph", ""), params={"format": fmt})
    assert r.status_code == 200, r.text
    assert _media_type(r) == media_type
    if syntax is None:  # JSON-LD with the published context (pyoxigraph does not fetch contexts)
        assert r.json()["@id"] == iri and r.json()["@context"].endswith("/context/v1.jsonld")
        return
    triples = list(ox.parse(r.content, syntax, base_iri=str(client.base_url)))
    assert any(t.subject == ox.NamedNode(iri) for t in triples)


@pytest.mark.parametrize(
    "path", ["/id/", "/api/challenges", "/catalog", "/.well-known/void", "/ldes", "/shapes", "/sparql"]
)
def test_every_advertised_alternate_gives_its_media_type(client: httpx.Client, path: str) -> None:
    if path == "/id/":
        path = _resource(client).replace("https://w3id.org/iopgraph", "")
    first = client.get(path, headers={"Accept": "text/html"} if path != "/api/challenges" else {})
    assert first.status_code == 200, first.text
    if path == "/api/challenges":
        assert "alternate" not in first.headers.get("link", "")  # its Link header is the Hydra paging
        return
    in_header = LINK.findall(first.headers.get("link", ""))
    in_head = [(href.replace("&amp;", "&"), t) for t, href in HEAD_LINK.findall(first.text)]
    assert in_head, first.text[:500]  # every page names its other formats in its <head>
    if in_header:  # where the header lists them too, it lists the same ones
        assert {t for _, t in in_header} == {t for _, t in in_head}
    for href, media_type in in_header + in_head:
        r = client.get(href)
        assert r.status_code == 200, (href, r.text)
        assert _media_type(r) == media_type, href


def test_sparql_json_means_results_for_select_and_json_ld_for_construct(client: httpx.Client) -> None:
    select = client.get("/sparql", params={"query": "SELECT * { ?s ?p ?o } LIMIT 1", "format": "json"})
    assert _media_type(select) == "application/sparql-results+json" and "results" in select.json()
    xml = client.get("/sparql", params={"query": "ASK {}", "format": "xml"})
    assert _media_type(xml) == "application/sparql-results+xml"
    construct = client.get(
        "/sparql", params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3", "format": "json"}
    )
    assert _media_type(construct) == "application/ld+json"
    assert len(list(ox.parse(construct.content, ox.RdfFormat.JSON_LD))) == 3


def test_format_json_on_the_validation_report_is_the_json_summary(client: httpx.Client) -> None:
    body = b"<https://example.org/a> <https://example.org/b> <https://example.org/c> ."
    r = client.post(
        "/api/validate", params={"format": "json"}, content=body, headers={"Content-Type": "text/turtle"}
    )
    assert r.status_code == 200, r.text
    assert _media_type(r) == "application/json" and r.json()["conforms"] in (True, False)


def test_a_named_query_gives_its_text_as_format_sparql(client: httpx.Client) -> None:
    name = client.get("/api/queries").json()["queries"][0]["name"]
    r = client.get(f"/api/queries/{name}", params={"format": "sparql"})
    assert r.status_code == 200 and _media_type(r) == "application/sparql-query"
    assert re.search(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b", r.text, re.IGNORECASE)


@pytest.mark.parametrize(
    ("path", "fmt"),
    [("/api/challenges", "png"), ("/api/challenges", "html"), ("/shapes", "json"), ("/store", "ttl")],
)
def test_a_format_the_view_does_not_have_is_a_406_problem(client: httpx.Client, path: str, fmt: str) -> None:
    r = client.get(path, params={"format": fmt})
    assert r.status_code == 406, r.text
    assert _media_type(r) == "application/problem+json"
    problem = json.loads(r.text)
    assert problem["code"] == "not-acceptable" and f"format={fmt}" in problem["detail"]
    assert "available:" in problem["detail"]
