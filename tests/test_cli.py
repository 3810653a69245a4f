"""`iopgraph validate` and `iopgraph build` through their real entry points, with documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from typer.testing import CliRunner

from iopgraph.cli import app
from support.paths import ROOT

runner = CliRunner()
PREFIXES = """@prefix iop: <https://w3id.org/iopgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix sec: <https://w3id.org/iopgraph/id/report/d06-02/section/> .
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_exits_0_on_a_conforming_file(tmp_path: Path) -> None:
    good = write(
        tmp_path,
        "place.ttl",
        PREFIXES + '<https://w3id.org/iopgraph/id/place/ghent> a iop:Place ; rdfs:label "Ghent"@en .\n',
    )
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0, result.output
    assert "Conforms: 0 violation(s)" in result.output


def test_validate_exits_1_and_explains_a_violation(tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "initiative.ttl",
        PREFIXES + '<https://w3id.org/iopgraph/id/initiative/x> a iop:DataSpace ; rdfs:label "X"@en ;\n'
        '    iop:isUseCase false ; iop:startYear "twenty" ; iop:section sec:1-1 .\n',
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    out = result.output
    assert "[VIOLATION] https://w3id.org/iopgraph/id/initiative/x" in out
    assert "path:    iop:startYear" in out
    assert "value:   twenty" in out
    assert "xsd:gYear" in out  # the shape's own message, not a constraint name
    assert "initiative.ttl" in out  # the source file of the focus node


def test_validate_reports_json(tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "p.ttl",
        PREFIXES + '<https://w3id.org/iopgraph/id/place/p> a iop:Place ; rdfs:label "P" .\n',
    )
    result = runner.invoke(app, ["validate", "--format", "json", str(bad)])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["conforms"] is False
    assert {r["severity"] for r in report["results"]} == {"Violation"}
    assert all(r["focus_node"] == "https://w3id.org/iopgraph/id/place/p" for r in report["results"])


def test_warnings_alone_do_not_fail_validation(tmp_path: Path) -> None:
    # An organisation without a sector is incomplete (a warning), not broken.
    org = write(
        tmp_path,
        "org.ttl",
        PREFIXES + "@prefix org: <http://www.w3.org/ns/org#> .\n"
        '<https://w3id.org/iopgraph/id/organisation/o> a org:Organization ; rdfs:label "O"@en ; iop:section sec:1-2 .\n',
    )
    result = runner.invoke(app, ["validate", str(org)])
    assert result.exit_code == 0, result.output
    assert "[WARNING]" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (PREFIXES + '<https://w3id.org/iopgraph/id/place/a> a iop:Place ;\n  rdfs:label "A"@en\n', "line 7"),
        (PREFIXES + '<https://w3id.org/iopgraph/id/place/a> foo:bar "x" .\n', "line 5"),
        (PREFIXES + '<https://w3id.org/iopgraph/id/place/a> rdfs:label "unterminated .\n', "line 5"),
    ],
    ids=["missing-dot", "unknown-prefix", "unterminated-string"],
)
def test_unparseable_input_exits_2_naming_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    bad = write(tmp_path, "broken.ttl", text)
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "broken.ttl" in result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_unknown_prefix_message_names_the_prefix(tmp_path: Path) -> None:
    bad = write(tmp_path, "prefix.ttl", PREFIXES + '<https://w3id.org/iopgraph/id/place/a> foo:bar "x" .\n')
    result = runner.invoke(app, ["validate", str(bad)])
    assert "foo" in result.output and "not been declared" in result.output


def test_missing_file_and_unknown_format_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["validate", str(tmp_path / "nope.ttl")]).exit_code == 2
    other = write(tmp_path, "notes.txt", "hello")
    result = runner.invoke(app, ["validate", str(other)])
    assert result.exit_code == 2
    assert "not an RDF file" in result.output


def test_validate_accepts_json_ld(tmp_path: Path) -> None:
    doc = {
        "@context": {
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "iop": "https://w3id.org/iopgraph/ontology#",
        },
        "@id": "https://w3id.org/iopgraph/id/place/bruges",
        "@type": "iop:Place",
        "rdfs:label": {"@value": "Bruges", "@language": "en"},
    }
    path = write(tmp_path, "place.jsonld", json.dumps(doc))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output


def test_build_loads_the_store_persists_it_and_skips_unchanged_sources(tmp_path: Path) -> None:
    env = {"IOPGRAPH_STORE_PATH": str(tmp_path / "store"), "IOPGRAPH_BUILD_DIR": str(tmp_path / "build")}
    first = runner.invoke(app, ["build"], env=env)
    assert first.exit_code == 0, first.output
    assert "loaded" in first.output
    second = runner.invoke(app, ["build"], env=env)
    assert "unchanged" in second.output
    for name in (
        "iopgraph.ttl",
        "iopgraph.nt",
        "iopgraph.jsonld",
        "iopgraph.nq",
        "iopgraph.trig",
        "iopgraph.ttl.gz",
    ):
        assert (tmp_path / "build" / "dumps" / name).stat().st_size > 0, name
    # Reopen the on-disk store in a fresh process: the data persisted.
    code = (
        "import pyoxigraph as ox, sys; s = ox.Store(sys.argv[1]); "
        "print(len(list(s.named_graphs())), bool(s.query('ASK { GRAPH ?g { ?s a ?o } }')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "store")], capture_output=True, text=True, check=True
    )
    graphs, has_data = out.stdout.split()
    assert int(graphs) == len(list((ROOT / "data").glob("*.ttl"))) + len(
        list((ROOT / "ontology").glob("*.ttl"))
    )
    assert has_data == "True"
    # The N-Triples dump holds the union of all graphs: the same triples as the store.
    dump = ox.Store()
    dump.load(path=str(tmp_path / "build" / "dumps" / "iopgraph.nt"), format=ox.RdfFormat.N_TRIPLES)
    assert len(dump) > 5000


def test_console_script_entry_point_runs() -> None:
    exe = Path(sys.executable).with_name("iopgraph")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    assert "validate" in out.stdout and "build" in out.stdout


def test_the_store_is_readable_through_rdflib_without_copying(tmp_path: Path) -> None:
    from iopgraph.core.sources import graph_sources
    from iopgraph.store.local import ensure_built, open_store, rdflib_dataset

    store = open_store(tmp_path / "store")
    outcome = ensure_built(store, tmp_path / "store", graph_sources(ROOT))
    dataset = rdflib_dataset(store)
    assert outcome.rebuilt and outcome.quads == len(store)
    label = dataset.value(
        rdflib.URIRef("https://w3id.org/iopgraph/id/initiative/valencia-goaigua-digital-twin"),
        rdflib.URIRef("https://w3id.org/iopgraph/ontology#startYear"),
    )
    assert str(label) == "2009"
