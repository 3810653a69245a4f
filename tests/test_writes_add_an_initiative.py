"""docs/add-an-initiative.md end to end, with the shipped shapes and data (issue 5).

The worked example (docs/examples/new-initiative.ttl) is validated, loaded, read,
corrected, traced and withdrawn through the HTTP API exactly as the page shows,
and loaded with the CLI; a broken variant is refused both ways.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from iopgraph.core.settings import Settings
from support.paths import ROOT

EXAMPLE = ROOT / "docs" / "examples" / "new-initiative.ttl"
GRAPH = "https://w3id.org/iopgraph/graph/contrib/helsinki-district-digital-twins"
INITIATIVE = "/id/initiative/helsinki-district-digital-twins"
TOKEN = "steward-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BROKEN = EXAMPLE.read_text().replace("iop:city place:helsinki", "iop:city place:atlantis")
CORRECTION = """PREFIX init: <https://w3id.org/iopgraph/id/initiative/>
PREFIX iop:  <https://w3id.org/iopgraph/ontology#>
INSERT DATA { GRAPH <https://w3id.org/iopgraph/graph/contrib/helsinki-district-digital-twins> {
  init:helsinki-district-digital-twins iop:isActive false } }"""
WHO = """PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX iop: <https://w3id.org/iopgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?activity ?agent ?end ?graph ?added ?removed WHERE { GRAPH <https://w3id.org/iopgraph/graph/provenance> {
  ?activity prov:endedAtTime ?end ; prov:wasAssociatedWith/rdfs:label ?agent ; prov:used ?graph ;
            iop:triplesAdded ?added ; iop:triplesRemoved ?removed } } ORDER BY DESC(?end)"""


def test_the_guide_through_the_api(tmp_path: Path) -> None:
    settings = Settings(
        root=ROOT,
        store_path=tmp_path / "store",
        query_workers=1,
        base_url="http://testserver",
        write_token=TOKEN,
        write_agent="city-of-helsinki",
    )
    with TestClient(create_app(settings)) as c:
        checked = c.post(
            "/api/validate?current=true",
            content=EXAMPLE.read_bytes(),
            headers={"Content-Type": "text/turtle"},
        )
        assert checked.status_code == 200 and checked.json()["conforms"] is True, checked.text
        refused = c.put(
            "/store", params={"graph": GRAPH}, content=BROKEN, headers={"Content-Type": "text/turtle", **AUTH}
        )
        assert refused.status_code == 422
        assert any("iop:city" in (r["path"] or "") for r in refused.json()["report"]["results"])
        assert c.get(INITIATIVE, headers={"Accept": "text/turtle"}).status_code == 404

        put = c.put(
            "/store",
            params={"graph": GRAPH},
            content=EXAMPLE.read_bytes(),
            headers={"Content-Type": "text/turtle", **AUTH},
        )
        assert put.status_code == 201, put.text
        page = c.get(INITIATIVE, headers={"Accept": "text/turtle"})
        assert page.status_code == 200 and b"Helsinki district digital twins" in page.content
        stored = c.get("/store", params={"graph": GRAPH}, headers={"Accept": "text/turtle"})
        assert len(list(ox.parse(stored.content, ox.RdfFormat.TURTLE))) == 9

        fixed = c.post(
            "/update", content=CORRECTION, headers={"Content-Type": "application/sparql-update", **AUTH}
        )
        assert fixed.status_code == 204, fixed.text
        who = c.post("/sparql", data={"query": WHO}, headers={"Accept": "application/sparql-results+json"})
        rows = who.json()["results"]["bindings"]
        assert [(r["agent"]["value"], r["added"]["value"]) for r in rows] == [
            ("city-of-helsinki", "1"),
            ("city-of-helsinki", "9"),
        ]
        assert c.delete("/store", params={"graph": GRAPH}, headers=AUTH).status_code == 204
        assert c.get("/store", params={"graph": GRAPH}).status_code == 404
        # Only the provenance records still mention it (prov:influenced).
        gone = c.get(INITIATIVE, headers={"Accept": "text/turtle"})
        assert b"Helsinki district digital twins" not in gone.content


def test_the_guide_through_the_cli(tmp_path: Path) -> None:
    iopgraph = Path(sys.executable).parent / "iopgraph"
    env = {**os.environ, "IOPGRAPH_ROOT": str(ROOT), "IOPGRAPH_STORE_PATH": str(tmp_path / "store")}
    broken = tmp_path / "broken.ttl"
    broken.write_text(BROKEN)
    refused = subprocess.run(
        [str(iopgraph), "load", str(broken), "--graph", GRAPH],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 1, refused.stderr
    assert "place:atlantis" in refused.stderr or "atlantis" in refused.stderr
    loaded = subprocess.run(
        [str(iopgraph), "load", str(EXAMPLE), "--graph", GRAPH, "--agent", "city-of-helsinki"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert f"graph <{GRAPH}>" in loaded.stdout and "+9 -0 triples" in loaded.stdout
