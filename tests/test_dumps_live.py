"""`iopgraph build` writes the dumps a running server serves, byte for byte (issue 12: one serialiser).

The build's ``iopgraph.jsonld`` used to be Oxigraph's expanded JSON-LD while
``GET /dumps/iopgraph.jsonld`` was compacted with the context: a harvester got
two different files for one graph. Both now come from ``views.dumps``; this
test builds a fixture project, serves the same store with `iopgraph serve`,
and compares every dump (and its ``.gz``) with the download; PyLD, given the
context the server publishes, expands both JSON-LD files to the same graph.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
from pyld import jsonld

from support.project import build_project
from support.server import serve

IOPGRAPH = Path(sys.executable).parent / "iopgraph"
BASE_URL = "http://iopgraph.test"
CONTEXT_URL = BASE_URL + "/context/v1.jsonld"
DUMPS = ("iopgraph.ttl", "iopgraph.nt", "iopgraph.jsonld", "iopgraph.nq", "iopgraph.trig")


def canonical(triples: set[ox.Triple]) -> set[ox.Quad]:
    """The triples with canonical blank-node labels (RDFC-1.0), to compare graphs with blank nodes."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def expanded(doc: dict[str, Any], context: dict[str, Any]) -> set[ox.Quad]:
    """The graph of ``doc`` as PyLD reads it, given only the published context (no other fetch)."""

    def loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        assert url == CONTEXT_URL, f"the dump needed another remote document: {url}"
        return {"contextUrl": None, "documentUrl": url, "document": context}

    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": loader})
    return canonical({q.triple for q in ox.parse(nquads.encode(), ox.RdfFormat.N_QUADS)})


def test_build_dumps_are_the_bytes_the_server_serves(tmp_path: Path) -> None:
    root = build_project(tmp_path, parts=("ontology",))
    env = {
        "IOPGRAPH_ROOT": str(root),
        "IOPGRAPH_STORE_PATH": str(tmp_path / "store"),
        "IOPGRAPH_BUILD_DIR": str(tmp_path / "build"),
        "IOPGRAPH_BASE_URL": BASE_URL,
        "IOPGRAPH_QUERY_WORKERS": "1",
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IOPGRAPH_")}
    built = subprocess.run(
        [str(IOPGRAPH), "build"], env={**clean, **env}, capture_output=True, text=True, timeout=300
    )
    assert built.returncode == 0, built.stderr
    folder = tmp_path / "build" / "dumps"
    with serve([], env) as base, httpx.Client(base_url=base, timeout=60) as client:
        for name in DUMPS:
            plain = client.get(f"/dumps/{name}", headers={"Accept-Encoding": "identity"})
            assert plain.status_code == 200, (name, plain.text[:300])
            assert plain.content == (folder / name).read_bytes(), f"{name}: the build and the server differ"
            gz = client.get(f"/dumps/{name}.gz", headers={"Accept-Encoding": "identity"})
            assert gz.content == (folder / f"{name}.gz").read_bytes(), f"{name}.gz differs"
        context = client.get("/context/v1.jsonld").json()
        served = client.get("/dumps/iopgraph.jsonld").json()
        # The Graph Store Protocol's JSON-LD follows the same policy: compacted, the same graph as its Turtle.
        graph = "https://w3id.org/iopgraph/graph/data/data"
        as_jsonld = client.get("/store", params={"graph": graph}, headers={"Accept": "application/ld+json"})
        as_turtle = client.get("/store", params={"graph": graph}, headers={"Accept": "text/turtle"})
    built_doc = json.loads((folder / "iopgraph.jsonld").read_bytes())
    assert built_doc["@context"] == CONTEXT_URL  # compacted with the published context, not expanded
    union = canonical({t for t in ox.parse(path=str(folder / "iopgraph.nt"), format=ox.RdfFormat.N_TRIPLES)})
    assert len(union) > 1000
    assert expanded(built_doc, context) == expanded(served, context) == union
    graph_doc = as_jsonld.json()
    assert as_jsonld.headers["content-type"].startswith("application/ld+json")
    assert graph_doc["@context"] == CONTEXT_URL
    turtle = canonical(set(ox.parse(as_turtle.content, ox.RdfFormat.TURTLE)))
    assert len(turtle) > 10 and expanded(graph_doc, context) == turtle
