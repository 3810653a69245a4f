"""`iopgraph serve FILE_OR_DIR...`: any RDF syntax, folders searched, one named graph per file."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from iopgraph.core.errors import InputError
from iopgraph.store.lifecycle import served_files
from support.sparql import json_rows, settings_for

FILES = {
    "a.ttl": '@prefix ex: <http://example.org/> . ex:a ex:p "turtle" .',
    "b.nt": '<http://example.org/b> <http://example.org/p> "n-triples" .',
    "c.jsonld": '{"@id": "http://example.org/c", "http://example.org/p": "json-ld"}',
    "d.rdf": (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
        '<rdf:Description rdf:about="http://example.org/d"><ex:p>rdf-xml</ex:p></rdf:Description></rdf:RDF>'
    ),
    "sub/e.nq": '<http://example.org/e> <http://example.org/p> "n-quads" <http://example.org/g-e> .',
    "sub/f.trig": '<http://example.org/g-f> { <http://example.org/f> <http://example.org/p> "trig" . }',
    "notes.txt": "not RDF, ignored",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "rdf"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_every_syntax_in_a_folder_is_served(tmp_path: Path, folder: Path) -> None:
    settings = settings_for(tmp_path, sources=[folder], query_workers=1, store_path=None)
    with TestClient(create_app(settings)) as client:
        rows = json_rows(
            client.get(
                "/sparql", params={"query": "SELECT ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?o"}
            ).content
        )
        assert [r["o"] for r in rows] == ["json-ld", "n-quads", "n-triples", "rdf-xml", "trig", "turtle"]
        graphs = json_rows(
            client.get(
                "/sparql",
                params={"query": "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
            ).content
        )
        # One graph per triple-only file (.ttl, .nt, .rdf) plus the graphs named inside the .nq and .trig
        # files; JSON-LD is a dataset syntax, so the .jsonld file's triples stay in the default graph.
        assert graphs == [{"n": "5"}]


def test_a_missing_path_or_an_empty_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        served_files([tmp_path / "missing.ttl"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no RDF files"):
        served_files([tmp_path / "empty"])
