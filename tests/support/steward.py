"""Helpers for the stewardship tests: a fixture project (mini ontology, shapes, data), an app, dumps.

The fixture project is ``tests/fixtures/steward``: a small conforming graph and
shapes that exercise class, path and cardinality constraints, so verdicts do
not move when the shipped data or shapes change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox

from iopgraph.core.settings import Settings
from support.paths import FIXTURES
from support.project import build_project

FIXTURE = FIXTURES / "steward"
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EX = "http://example.org/ns#"
ID = "http://example.org/id/"
PREFIXES = f"""@prefix ex: <{EX}> .
@prefix id: <{ID}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
"""
SPARQL_PREFIXES = (
    "\n".join(
        "PREFIX " + line.removeprefix("@prefix ").removesuffix(" .") for line in PREFIXES.strip().splitlines()
    )
    + "\n"
)
NEW_GRAPH = "http://example.org/graph/new"

VALID_PROJECT = (
    PREFIXES
    + """
id:p2 a ex:Project ; rdfs:label "Digital twin"@en ; dcterms:description "Another project."@en ;
    ex:city id:ghent ; ex:lead id:org1 ; ex:addresses id:c2 .
"""
)
#: Violates sh:class on ex:city (an organisation is not a place) and sh:maxCount on rdfs:label.
INVALID_PROJECT = (
    PREFIXES
    + """
id:p3 a ex:Project ; rdfs:label "Bad"@en, "Second"@en ; ex:city id:org1 .
"""
)


def project(folder: Path, data: bool = True) -> Path:
    """A copy of the fixture project under ``folder``."""
    parts = ("ontology", "shapes", "data") if data else ("ontology", "shapes")
    return build_project(folder, template=FIXTURE, parts=parts, data=(), empty=("data",))


def cli_env(folder: Path) -> dict[str, str]:
    """The settings of an ``iopgraph`` command run on a copy of the fixture project under ``folder``."""
    return {
        "IOPGRAPH_ROOT": str(project(folder)),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_BASE_URL": "http://testserver",
    }


def settings_for(folder: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "root": project(folder),
        "store_path": folder / "store",
        "query_workers": 1,
        "base_url": "http://testserver",
        "write_token": TOKEN,
        "write_validation": "neighbourhood",
    }
    values.update(overrides)
    return Settings(**values)


def dump(store: ox.Store) -> bytes:
    """The store as sorted N-Quads: equal bytes ⇔ equal content (blank-node labels included)."""
    lines = sorted(str(q) + " ." for q in store.quads_for_pattern(None, None, None))
    return "\n".join(lines).encode()


def triples_of(store: ox.Store, graph: str) -> set[tuple[str, str, str]]:
    g = ox.NamedNode(graph)
    return {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in store.quads_for_pattern(None, None, None, g)
    }
