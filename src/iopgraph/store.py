"""The embedded store: an Oxigraph store on disk, built from the source files.

Loading uses pyoxigraph's bulk loader (fast, with exact parse positions);
:func:`rdflib_dataset` exposes the same store to rdflib code through oxrdflib.
Each ontology/data file is loaded into its own named graph
(``https://w3id.org/iopgraph/graph/data/initiatives`` for ``data/initiatives.ttl``);
queries see the union of all graphs as their default graph. A hash of the
sources is kept beside the store, so a restart on unchanged sources does not
reload anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
from oxrdflib import OxigraphStore

from iopgraph.errors import StoreError
from iopgraph.namespaces import GRAPH
from iopgraph.rdfio import parse_file
from iopgraph.sources import SourceFile, content_hash

META_FILE = "iopgraph-store.json"


@dataclass(frozen=True)
class BuildOutcome:
    """What :func:`ensure_built` did."""

    rebuilt: bool
    source_hash: str
    quads: int


def open_store(path: Path) -> ox.Store:
    """Open (or create) the on-disk store at ``path``."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        return ox.Store(str(path))
    except OSError as exc:
        raise StoreError(f"cannot open the store at {path}: {exc}") from exc


def rdflib_dataset(store: ox.Store) -> rdflib.Dataset:
    """The same Oxigraph store seen as an rdflib Dataset (through oxrdflib), without copying.

    For rdflib-based code (conversions, pySHACL over the live store); the query
    hot path uses pyoxigraph directly.
    """
    return rdflib.Dataset(store=OxigraphStore(store=store), default_union=True)


def _meta_path(path: Path) -> Path:
    return path.parent / f"{path.name}.{META_FILE}"


def stored_hash(path: Path) -> str | None:
    meta = _meta_path(path)
    if not meta.exists():
        return None
    try:
        return str(json.loads(meta.read_text())["source_hash"])
    except (ValueError, KeyError):
        return None


#: Graph IRI prefixes filled from source files; a rebuild replaces them. Other graphs (written by
#: stewards through /store, /update or `iopgraph load`, provenance, releases) survive rebuilds.
FILE_GRAPH_PREFIXES = tuple(GRAPH + folder + "/" for folder in ("ontology", "data", "served"))


def kept_on_rebuild(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> bool:
    return not (isinstance(graph, ox.NamedNode) and graph.value.startswith(FILE_GRAPH_PREFIXES))


def load_sources(store: ox.Store, files: list[SourceFile]) -> int:
    """Replace the file-backed graphs by the quads of ``files``; returns the number of quads loaded."""
    quads: list[ox.Quad] = []
    for f in files:
        quads.extend(parse_file(f.path, ox.NamedNode(f.graph_iri)))
    kept = [q for q in store.quads_for_pattern(None, None, None) if kept_on_rebuild(q.graph_name)]
    store.clear()
    store.bulk_extend(quads + kept)
    store.flush()
    return len(quads)


def ensure_built(store: ox.Store, path: Path, files: list[SourceFile], force: bool = False) -> BuildOutcome:
    """Load ``files`` into ``store`` unless the store already holds exactly these sources."""
    digest = content_hash(files)
    if not force and stored_hash(path) == digest:
        return BuildOutcome(False, digest, len(store))
    count = load_sources(store, files)
    _meta_path(path).write_text(json.dumps({"source_hash": digest, "quads": count}))
    return BuildOutcome(True, digest, count)
