"""`iopgraph release VERSION`: versioned dumps, a correct changelog, a dcat:Dataset version (issue 5)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyoxigraph as ox
from typer.testing import CliRunner

from iopgraph.cli import app
from support.steward import PREFIXES, VALID_PROJECT, project

runner = CliRunner()
DCAT = "http://www.w3.org/ns/dcat#"


def nt(path: Path) -> set[str]:
    return {str(t) for t in ox.parse(path.read_bytes(), ox.RdfFormat.N_TRIPLES)}


def test_releases_and_changelog(tmp_path: Path) -> None:
    env = {
        "IOPGRAPH_ROOT": str(project(tmp_path)),
        "IOPGRAPH_STORE_PATH": str(tmp_path / "store"),
        "IOPGRAPH_BUILD_DIR": str(tmp_path / "build"),
        "IOPGRAPH_BASE_URL": "http://testserver",
    }
    first = runner.invoke(app, ["release", "1.0.0", "--notes", "First release."], env=env)
    assert first.exit_code == 0, first.output
    releases = tmp_path / "build" / "releases"
    v1 = releases / "1.0.0"
    assert {p.name for p in v1.iterdir()} >= {
        "iopgraph-1.0.0.nq.gz",
        "iopgraph-1.0.0.ttl",
        "iopgraph-1.0.0.nt.gz",
        "CHANGELOG.md",
        "changes-added.nt",
        "changes-removed.nt",
        "release.json",
    }

    # A change between releases: one project added, one label changed, one blank node kept as is.
    (tmp_path / "p2.ttl").write_text(VALID_PROJECT)
    assert runner.invoke(app, ["load", str(tmp_path / "p2.ttl")], env=env).exit_code == 0
    (tmp_path / "fix.ttl").write_text(PREFIXES + 'id:tag1 rdfs:label "label"@en .')
    store = ox.Store(env["IOPGRAPH_STORE_PATH"])
    old_label = ox.Quad(
        ox.NamedNode("http://example.org/id/tag1"),
        ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
        ox.Literal("tag", language="en"),
        ox.NamedNode("https://w3id.org/iopgraph/graph/data/base"),
    )
    store.remove(old_label)
    store.add(
        ox.Quad(
            old_label.subject, old_label.predicate, ox.Literal("label", language="en"), old_label.graph_name
        )
    )
    store.flush()
    del store

    second = runner.invoke(app, ["release", "1.1.0"], env=env)
    assert second.exit_code == 0, second.output
    v2 = releases / "1.1.0"
    added, removed = nt(v2 / "changes-added.nt"), nt(v2 / "changes-removed.nt")
    assert removed == {'<http://example.org/id/tag1> <http://www.w3.org/2000/01/rdf-schema#label> "tag"@en'}
    assert '<http://example.org/id/tag1> <http://www.w3.org/2000/01/rdf-schema#label> "label"@en' in added
    assert len(added) == 1 + 6  # the new label and the six triples of p2; no blank-node noise
    # The changelog is exactly the difference of the two releases' union graphs.
    t1 = {
        str(t)
        for t in ox.parse(gzip.decompress((v1 / "iopgraph-1.0.0.nt.gz").read_bytes()), ox.RdfFormat.N_TRIPLES)
    }
    t2 = {
        str(t)
        for t in ox.parse(gzip.decompress((v2 / "iopgraph-1.1.0.nt.gz").read_bytes()), ox.RdfFormat.N_TRIPLES)
    }
    assert added == t2 - t1 and removed == t1 - t2
    info = json.loads((v2 / "release.json").read_text())
    assert (info["previous"], info["added"], info["removed"]) == ("1.0.0", 7, 1)
    changelog = (releases / "CHANGELOG.md").read_text()
    assert changelog.index("## 1.1.0") < changelog.index("## 1.0.0") and "First release." in changelog
    assert json.loads((releases / "index.json").read_text())["releases"] == ["1.0.0", "1.1.0"]

    # The releases are dcat:Dataset versions in the store's catalogue graph.
    store = ox.Store(env["IOPGRAPH_STORE_PATH"])
    rows = list(
        store.query(f"""PREFIX dcat: <{DCAT}>
        SELECT ?r ?v ?prev WHERE {{ GRAPH ?g {{ ?r a dcat:Dataset ; dcat:version ?v ;
            dcat:isVersionOf <https://w3id.org/iopgraph/catalog#dataset> .
            OPTIONAL {{ ?r dcat:previousVersion ?prev }} }} }} ORDER BY ?v""")
    )  # type: ignore[arg-type]
    assert [(r["v"].value, r["prev"].value if r["prev"] else None) for r in rows] == [
        ("1.0.0", None),
        ("1.1.0", rows[0]["r"].value),
    ]
    del store

    again = runner.invoke(app, ["release", "1.1.0"], env=env)
    assert again.exit_code == 2 and "exists already" in again.output
    bad = runner.invoke(app, ["release", "../x"], env=env)
    assert bad.exit_code == 2 and "not a release version" in bad.output


def test_a_release_is_in_the_catalogue_and_its_files_download(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from iopgraph.app import create_app
    from support.steward import settings_for

    settings = settings_for(tmp_path, build_dir=tmp_path / "build")
    env = {
        "IOPGRAPH_ROOT": str(settings.root),
        "IOPGRAPH_STORE_PATH": str(settings.store_path),
        "IOPGRAPH_BUILD_DIR": str(tmp_path / "build"),
        "IOPGRAPH_BASE_URL": "http://testserver",
    }
    assert runner.invoke(app, ["release", "2.0.0"], env=env).exit_code == 0
    with TestClient(create_app(settings)) as client:
        catalogue = ox.Store()
        catalogue.load(client.get("/catalog", headers={"Accept": "text/turtle"}).content, ox.RdfFormat.TURTLE)
        rows = list(
            catalogue.query(f"""PREFIX dcat: <{DCAT}>
            SELECT ?url WHERE {{ <https://w3id.org/iopgraph/catalog#dataset> dcat:hasVersion ?r .
                ?r dcat:version "2.0.0" ; dcat:distribution/dcat:downloadURL ?url }}""")
        )  # type: ignore[arg-type]
        urls = sorted(r["url"].value for r in rows)
        assert "http://testserver/releases/2.0.0/iopgraph-2.0.0.ttl" in urls
        for url in urls:
            got = client.get(url.removeprefix("http://testserver"))
            assert got.status_code == 200, url
            assert "immutable" in got.headers["cache-control"]
        ttl = client.get("/releases/2.0.0/iopgraph-2.0.0.ttl")
        assert ttl.content == (tmp_path / "build" / "releases" / "2.0.0" / "iopgraph-2.0.0.ttl").read_bytes()
        assert (
            client.get(
                "/releases/2.0.0/iopgraph-2.0.0.ttl", headers={"If-None-Match": ttl.headers["etag"]}
            ).status_code
            == 304
        )
        for bad in (
            "/releases/2.0.0/..%2F..%2Fstore",
            "/releases/..%2F2.0.0/x.ttl",
            "/releases/9.9.9/iopgraph-9.9.9.ttl",
            "/releases/2.0.0/release.sh",
        ):
            assert client.get(bad).status_code == 404, bad
