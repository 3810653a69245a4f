"""The live service's linked-data views against independent processors and the DCAT-AP 3 shapes (issue 11).

* every JSON-LD view (resource pages, ``/api/*`` collections and guidance, ``/catalog``,
  ``/ldes`` and its fragments and members) gives the same graph to a JSON-LD 1.0
  processor (PyLD, ``processingMode: json-ld-1.0``, which rejects a context declaring
  ``@version 1.1``) and to a JSON-LD 1.1 processor (PyLD's default);
* ``/catalog`` conforms to the DCAT-AP 3 mandatory and range shapes with 0 violations.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyshacl
import pytest
import rdflib
from pyld import jsonld
from rdflib.compare import isomorphic

from support.conformance import Live
from support.paths import FIXTURES

SHAPES = FIXTURES / "dcat-ap"
JSONLD = {"Accept": "application/ld+json"}


def loader(live_service: Live) -> Any:
    """A PyLD document loader that fetches only the service's own context, from the live service."""
    context_url = live_service.url + "/context/v1.jsonld"

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url != context_url:
            raise RuntimeError(f"the test refuses to fetch {url}: only the service's context may be loaded")
        return {"contextUrl": None, "documentUrl": url, "document": live_service.http.get(url).json()}

    return load


def as_graph(doc: dict[str, Any], live_service: Live, mode: str) -> rdflib.Graph:
    nquads = jsonld.to_rdf(
        doc, {"format": "application/n-quads", "documentLoader": loader(live_service), "processingMode": mode}
    )
    return rdflib.Graph().parse(data=nquads or "", format="nt")


def jsonld_views(live_service: Live) -> list[str]:
    """Every JSON-LD view to check: resources of each kind, every /api collection, catalogue, LDES."""
    r = live_service.http.post(
        "/sparql",
        content=b"""SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o }
        FILTER(STRSTARTS(STR(?s), "https://w3id.org/iopgraph/id/") || STRSTARTS(STR(?s), "https://w3id.org/iopgraph/concept/"))
        } ORDER BY ?s LIMIT 40""",
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    resources = [
        b["s"]["value"].removeprefix("https://w3id.org/iopgraph") for b in r.json()["results"]["bindings"]
    ]
    spec = live_service.http.get("/openapi.json").json()
    collections = sorted(
        p
        for p, ops in spec["paths"].items()
        if p.startswith("/api/")
        and "{" not in p
        and "get" in ops
        and p not in ("/api/validate", "/api/guidance")
        and not p.startswith("/api/queries")
    )
    challenges = [r.rsplit("/", 1)[-1] for r in resources if r.startswith("/concept/challenge/")]
    if challenges:
        collections.append(f"/api/guidance?challenge={challenges[0]}")
    ldes = live_service.http.get("/ldes", headers=JSONLD).json()
    fragments = sorted({str(v) for v in json.dumps(ldes).split('"') if "/ldes/fragment/" in v})
    views = [
        *resources[::4],
        "/graph/data/data",
        "/ontology",
        *collections,
        "/catalog",
        "/ldes",
        *fragments[:2],
    ]
    return [v.removeprefix(live_service.url) for v in views]


def test_every_view_gives_the_same_graph_to_json_ld_1_0_and_1_1(live_service: Live) -> None:
    views = jsonld_views(live_service)
    assert len(views) >= 10 and any(v.startswith("/api/") for v in views), views
    live_service.reset()
    write = live_service.update(
        "INSERT DATA { GRAPH <https://w3id.org/iopgraph/graph/contrib/ld> { "
        '<https://w3id.org/iopgraph/id/initiative/conformance> <http://www.w3.org/2000/01/rdf-schema#label> "x"@en } }'
    )
    assert write.status_code == 204  # an LDES member to look at
    views.append("/ldes/version/1")
    checked = []
    for view in views:
        r = live_service.http.get(view, headers=JSONLD)
        if r.status_code == 404 and view.startswith("/ldes/version"):
            continue
        assert r.status_code == 200, (view, r.text[:300])
        if not r.headers["content-type"].startswith("application/ld+json"):
            assert view.startswith("/api/"), (
                view
            )  # a plain-JSON API (e.g. /api/queries), not a linked-data view
            continue
        doc = r.json()
        one_oh, one_one = (
            as_graph(doc, live_service, "json-ld-1.0"),
            as_graph(doc, live_service, "json-ld-1.1"),
        )
        assert len(one_one) > 0, view
        assert isomorphic(one_oh, one_one), view
        checked.append(view)
    live_service.reset()
    assert len(checked) >= 10 and sum(v.startswith("/api/") for v in checked) >= 3, checked
    assert {"/catalog", "/ldes", "/ldes/version/1"} <= set(checked), checked


def test_a_json_ld_1_0_processor_refuses_a_1_1_context(live_service: Live) -> None:
    """The check above can fail: PyLD in 1.0 mode rejects a context that declares @version 1.1."""
    doc = {
        "@context": {"@version": 1.1, "label": "http://www.w3.org/2000/01/rdf-schema#label"},
        "@id": "http://example.org/s",
        "label": "x",
    }
    with pytest.raises(jsonld.JsonLdError):
        as_graph(doc, live_service, "json-ld-1.0")
    context = live_service.http.get("/context/v1.jsonld").json()["@context"]
    assert "@version" not in context


def violations(data: rdflib.Graph, shapes: Path) -> list[str]:
    _conforms, report, _text = pyshacl.validate(data, shacl_graph=rdflib.Graph().parse(shapes))
    q = """PREFIX sh: <http://www.w3.org/ns/shacl#>
           SELECT ?focus ?path WHERE { ?r a sh:ValidationResult ; sh:resultSeverity sh:Violation ; sh:focusNode ?focus .
                                       OPTIONAL { ?r sh:resultPath ?path } }"""
    return sorted(" ".join(str(x) for x in row) for row in report.query(q))


@pytest.mark.parametrize("shapes", ["dcat-ap-3-mandatory.ttl", "dcat-ap-3-range.ttl"])
def test_the_catalogue_conforms_to_dcat_ap_3(live_service: Live, shapes: str) -> None:
    r = live_service.http.get("/catalog", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    data = rdflib.Graph().parse(data=r.text, format="turtle")
    assert len(data) > 100
    assert violations(data, SHAPES / shapes) == []
