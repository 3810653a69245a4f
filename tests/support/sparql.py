"""Helpers for the SPARQL tests: a small project folder with a fixture graph and fixture named queries."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from iopgraph.core.settings import Settings
from support.paths import FIXTURES as ALL_FIXTURES
from support.project import build_project

FIXTURES = ALL_FIXTURES / "sparql"
GRAPH = FIXTURES / "graph.trig"
EX = "http://example.org/"


def project(folder: Path) -> Path:
    """A project root with the fixture queries (and empty ontology/, data/)."""
    return build_project(folder, template=FIXTURES, parts=("queries",), data=(), empty=("ontology", "data"))


def settings_for(folder: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "root": project(folder),
        "sources": [GRAPH],
        "store_path": folder / "store",
        "query_workers": 2,
        "base_url": "http://testserver",
    }
    values.update(overrides)
    return Settings(**values)


def json_rows(body: bytes | str) -> list[dict[str, str]]:
    """SPARQL JSON results as rows of plain values."""
    data = json.loads(body)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def triples(body: bytes, media_type: str) -> set[ox.Triple]:
    fmt = ox.RdfFormat.from_media_type(media_type.split(";")[0])
    assert fmt is not None, media_type
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, fmt)}
