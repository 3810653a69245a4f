"""The package's layers import only downwards (docs/architecture.md).

Every module of ``src/iopgraph`` belongs to one layer, named by its first package below
``iopgraph``. A module may import its own package and any lower layer, never a higher one,
so the packages form no cycle. Imports inside functions count as much as those at the top.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "iopgraph"

#: Lowest first. A package may import itself and everything before it.
LAYERS: list[tuple[str, ...]] = [
    ("__init__",),  # the version
    ("core",),  # settings, errors, media types and negotiation, namespaces, IRIs, RDF reading
    ("query",),  # SPARQL as text: lexer, binding, result formats, query errors, algebra, screening
    ("store",),  # Backend, embedded and remote stores, build, snapshot, sandboxed worker pool
    ("sparql",),  # the SPARQL service: protocol, named queries, result cache, service description
    ("validation",),  # SHACL validation of the sources
    ("shacl",),  # full validation at scale: the shapes compiled to SPARQL
    ("stewardship",),  # writes: uploads, the gate, provenance, releases, backups
    ("views",),  # pure page and document models
    ("search",),  # the full-text index and its views
    ("workbench",),  # the steward workbench's forms, diffs, proposals
    ("http",),  # rendering, conditional GET, problem+json, middleware, the uvicorn protocol
    ("routers",),  # thin FastAPI routers
    ("jobs",),  # the table of jobs the sandboxed workers run (loaded by name in store/worker.py)
    ("app",),  # the app factory and its lifespan
    ("cli",),  # the command line
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] if len(parts) > 1 else parts
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: relative import (the project writes absolute imports)")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("iopgraph"):
            module = node.module or ""
            for alias in node.names:  # `from iopgraph.store import pool` imports iopgraph.store.pool
                candidate = f"{module}.{alias.name}"
                as_file = SRC.parent.joinpath(*candidate.split("."))
                found.add(candidate if as_file.with_suffix(".py").exists() or as_file.is_dir() else module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("iopgraph"))
    return {m for m in found if m != "iopgraph"} | ({"iopgraph.__init__"} if "iopgraph" in found else set())


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def test_every_package_has_a_layer() -> None:
    packages = {_package_of(m) for m in MODULES if m != "iopgraph"}
    assert packages - RANK.keys() == set(), "add the new package to LAYERS (and docs/architecture.md)"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_only_downwards(module: str) -> None:
    own = _package_of(module) if module != "iopgraph" else "__init__"
    upward = sorted(
        f"{target} ({_package_of(target)})"
        for target in _imports(MODULES[module])
        if _package_of(target) != own and RANK[_package_of(target)] >= RANK[own]
    )
    assert upward == [], f"{module} (layer {own}) imports from its own layer or above: {upward}"


def test_no_package_cycles() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target in _imports(path):
            if _package_of(target) != _package_of(module):
                graph[_package_of(module)].add(_package_of(target))
    seen: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if seen.get(node) == 1:
            raise AssertionError(f"package cycle: {' -> '.join([*trail, node])}")
        if seen.get(node) == 2:
            return
        seen[node] = 1
        for nxt in sorted(graph[node]):
            visit(nxt, [*trail, node])
        seen[node] = 2

    for package in sorted(graph):
        visit(package, [])


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The rule can fail: a store module importing a router is found."""
    module = tmp_path / "bad.py"
    module.write_text("from iopgraph.routers import ldes\nfrom iopgraph.core.errors import StoreError\n")
    assert _imports(module) == {"iopgraph.routers.ldes", "iopgraph.core.errors"}
    assert RANK[_package_of("iopgraph.routers.ldes")] > RANK["store"]
