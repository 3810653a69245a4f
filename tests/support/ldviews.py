"""Fixtures of the linked-data view tests: an app serving a small fixture graph, and JSON-LD helpers.

The fixture project is the real ``ontology/`` plus ``tests/fixtures/ldviews/data.ttl``,
so counts and labels in the tests do not move when the shipped data grows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from pyld import jsonld  # type: ignore[import-untyped]

from iopgraph.core.settings import Settings
from support.paths import ROOT
from support.project import build_project

BASE_URL = "http://testserver"
CONTEXT_FILE = ROOT / "src" / "iopgraph" / "context" / "v1.jsonld"


def make_settings(folder: Path, **extra: Any) -> Settings:
    """Settings of an app over the real ontology and the fixture data (``extra`` overrides any)."""
    root = build_project(folder, parts=("ontology",))
    values: dict[str, Any] = {"store_path": folder / "store", "base_url": BASE_URL, "query_workers": 1}
    return Settings(root=root, **{**values, **extra})


@pytest.fixture(scope="session")
def ld_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("ldviews"))


@pytest.fixture(scope="session")
def ld_client(ld_settings: Settings) -> Iterator[TestClient]:
    from iopgraph.app import create_app

    with TestClient(create_app(ld_settings)) as client:
        yield client


@pytest.fixture(scope="session")
def ld_store(ld_settings: Settings) -> ox.Store:
    """An independent in-memory copy of the fixture graph, to compare responses with."""
    store = ox.Store()
    for path in sorted((ld_settings.root).rglob("*.ttl")):
        store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(path=str(path)))
    return store


# --- JSON-LD through an independent processor ------------------------------------------------------


def local_loader(context_url: str) -> Callable[..., dict[str, Any]]:
    """A PyLD document loader that serves only our context and refuses every other URL."""
    context = json.loads(CONTEXT_FILE.read_text())

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url != context_url:
            raise RuntimeError(
                f"the test refuses to fetch {url}: a JSON-LD response needed a remote document"
            )
        return {"contextUrl": None, "documentUrl": url, "document": context}

    return load


def jsonld_triples(doc: dict[str, Any], context_url: str = BASE_URL + "/context/v1.jsonld") -> set[ox.Triple]:
    """Expand ``doc`` with PyLD and return its triples as pyoxigraph terms (via N-Quads)."""
    nquads = jsonld.to_rdf(
        doc, {"format": "application/n-quads", "documentLoader": local_loader(context_url)}
    )
    return {
        ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(nquads.encode(), ox.RdfFormat.N_QUADS)
    }


def store_triples(store: ox.Store, subject: str | None = None) -> set[ox.Triple]:
    s = ox.NamedNode(subject) if subject else None
    return {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(s, None, None)}


def parse_body(body: bytes, media_type: str) -> set[ox.Triple]:
    from iopgraph.core.media_types import syntax_for_media_type

    syntax = syntax_for_media_type(media_type)
    assert syntax is not None, media_type
    return {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, syntax.format)}
