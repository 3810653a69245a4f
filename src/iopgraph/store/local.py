"""The embedded store: an Oxigraph store on disk, built from the source files.

Loading uses pyoxigraph's bulk loader (fast, with exact parse positions);
:func:`rdflib_dataset` exposes the same store to rdflib code through oxrdflib.
Each ontology/data file is loaded into its own named graph
(``https://w3id.org/iopgraph/graph/data/initiatives`` for ``data/initiatives.ttl``);
queries see the union of all graphs as their default graph. A hash of the
sources is kept beside the store, so a restart on unchanged sources does not
reload anything; with it each file's size and modification time, so a restart
whose files all kept theirs does not read them either (0.3 s for 185 MB of
N-Quads; as ``make`` and rsync decide, with git's rule for "racy" files: one
modified within :data:`RACY_NS` before its stamp was taken is read again).

A rebuild is atomic: the file-backed graphs are dropped and reloaded in ONE
store transaction (a SPARQL update), so a crash or SIGKILL at any moment leaves
the old graph or the new one, never an empty store (a first build, with no old
graph, is bulk-loaded). Steward graphs (everything
outside the file-backed graphs) are not read, held or rewritten by a build.
Before the transaction the hash file is marked ``building``; a start that finds
that mark knows a build was interrupted and builds again.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import rdflib
from oxrdflib import OxigraphStore

from iopgraph.core.errors import RdfSyntaxError, StoreError
from iopgraph.core.media_types import RdfSyntax, syntax_for_path
from iopgraph.core.namespaces import FILE_GRAPH_PREFIXES
from iopgraph.core.rdfio import parse_file, screen
from iopgraph.core.sources import SourceFile, content_hash, file_stamps
from iopgraph.store.dump_child import DumpError, count_in_child, worth_a_child

META_FILE = "iopgraph-store.json"
#: A file modified this close before its stamp was taken can change again within the same clock tick of
#: a coarse file system, keeping its size and time: its stamp proves nothing, its bytes are hashed.
RACY_NS = 2_000_000_000

log = logging.getLogger("iopgraph")


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


def _read_meta(path: Path) -> dict[str, object]:
    meta = _meta_path(path)
    if not meta.exists():
        return {}
    try:
        found = json.loads(meta.read_text())
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def stored_hash(path: Path) -> str | None:
    """The sources' hash the store was last built from; None if never built or a build was interrupted."""
    meta = _read_meta(path)
    if meta.get("building") or "source_hash" not in meta:
        return None
    return str(meta["source_hash"])


def build_interrupted(path: Path) -> bool:
    """True when a build of the store at ``path`` started and did not finish (crash, SIGKILL)."""
    return bool(_read_meta(path).get("building"))


def _write_meta(path: Path, meta: dict[str, object]) -> None:
    """Replace the hash file atomically (write beside, fsync, rename)."""
    target = _meta_path(path)
    partial = target.with_name(target.name + ".partial")
    with partial.open("w") as out:
        out.write(json.dumps(meta))
        out.flush()
        os.fsync(out.fileno())
    partial.replace(target)


def kept_on_rebuild(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> bool:
    """Whether a rebuild keeps ``graph`` (it is not filled from a source file)."""
    return not (isinstance(graph, ox.NamedNode) and graph.value.startswith(FILE_GRAPH_PREFIXES))


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    return str(term)


def _reload_update(store: ox.Store, quads: list[ox.Quad]) -> str:
    """One SPARQL update: drop every file-backed graph the store holds, then insert ``quads``."""
    parts = [
        f"DROP SILENT GRAPH {g}" for g in sorted(store.named_graphs(), key=str) if not kept_on_rebuild(g)
    ]
    if quads:
        lines = [
            f"GRAPH {q.graph_name} {{ {_term(q.subject)} {q.predicate} {_term(q.object)} }}" for q in quads
        ]
        parts.append("INSERT DATA {\n" + "\n".join(lines) + "\n}")
    return " ;\n".join(parts) or "# nothing to do"


def parse_sources(files: list[SourceFile]) -> list[ox.Quad]:
    """The quads of ``files``, each file in its own named graph (RdfSyntaxError names file and line)."""
    quads: list[ox.Quad] = []
    for f in files:
        quads.extend(parse_file(f.path, ox.NamedNode(f.graph_iri)))
    return quads


def replace_file_graphs(store: ox.Store, quads: list[ox.Quad]) -> None:
    """Drop the file-backed graphs and insert ``quads`` in ONE transaction; other graphs are untouched.

    A store without file-backed graphs (a first build) has no old graph to keep: it is bulk-loaded
    (faster, and without a large write-ahead log); a build killed meanwhile is redone by the next start.
    """
    try:
        if any(not kept_on_rebuild(g) for g in store.named_graphs()):
            store.update(_reload_update(store, quads))
        else:
            store.bulk_extend(quads)
        store.flush()
    except OSError as exc:
        raise StoreError(f"the build was not applied (the store is unchanged): {exc}") from exc


def bulk_load_sources(store: ox.Store, files: list[SourceFile]) -> int | None:
    """A first build, loaded by Oxigraph's native bulk loader straight from the files (no Python list of
    quads: at 1M triples about 10 s instead of 30 s); returns the quads loaded.

    Only for a store without file-backed graphs, and only when every file can be read that way (not
    gzipped, a known syntax); otherwise None and nothing was written. Each file is screened first (the
    guards of :func:`iopgraph.core.rdfio.screen`); blank nodes get fresh labels per file, as
    :func:`parse_sources` gives them. A file that does not parse undoes the graphs loaded so far and
    returns None, so that :func:`parse_sources` raises the error with its position.
    """
    if any(not kept_on_rebuild(g) for g in store.named_graphs()):
        return None
    plan = []
    for f in files:
        syntax = None if f.path.suffix.lower() == ".gz" else syntax_for_path(f.path)
        if syntax is None:
            return None
        plan.append((f, syntax))
    for f, syntax in plan:
        _screen_file(f.path, syntax)
    before = len(store)
    try:
        for f, syntax in plan:
            # A dataset syntax names its own graphs, and keeps its default graph (as parse_file does).
            into = None if syntax.is_dataset else ox.NamedNode(f.graph_iri)
            store.bulk_load(path=str(f.path), format=syntax.format, to_graph=into)
        store.flush()
    except SyntaxError:
        for graph in list(store.named_graphs()):
            if not kept_on_rebuild(graph):
                store.remove_graph(graph)
        return None
    except OSError as exc:
        raise StoreError(f"the build was not applied: {exc}") from exc
    return len(store) - before


def _screen_file(path: Path, syntax: RdfSyntax) -> None:
    """:func:`iopgraph.core.rdfio.screen` for a file; line-based syntaxes are checked (UTF-8) in chunks,
    so a big N-Quads file is never held in memory."""
    if syntax.format in (ox.RdfFormat.RDF_XML, ox.RdfFormat.JSON_LD):
        screen(path.read_bytes(), syntax, str(path))
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    try:
        with path.open("rb") as data:
            while chunk := data.read(1 << 22):
                decoder.decode(chunk)
                done += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise RdfSyntaxError(f"not valid UTF-8 (byte {done + exc.start})", str(path)) from exc


def load_sources(store: ox.Store, files: list[SourceFile]) -> int:
    """Replace the file-backed graphs by the quads of ``files`` atomically; returns the quads loaded.

    Every file is parsed first (a file that does not parse changes nothing).
    """
    quads = parse_sources(files)
    replace_file_graphs(store, quads)
    return len(quads)


def ensure_built(store: ox.Store, path: Path, files: list[SourceFile], force: bool = False) -> BuildOutcome:
    """Load ``files`` into ``store`` unless the store already holds exactly these sources.

    An interrupted earlier build (the ``building`` mark) always rebuilds.
    """
    meta = _read_meta(path)
    taken = time.time_ns()
    stamps = file_stamps(files)
    trusted = _stamped_hash(meta, stamps)
    digest = trusted or content_hash(files)
    stamped = {"source_stamps": stamps, "stamped_ns": taken}
    if meta.get("building"):
        log.warning("the previous build of the store at %s was interrupted; building again", path)
    elif not force and meta.get("source_hash") == digest:
        if trusted is None:  # read and found unchanged (a file touched, or too recent to trust): stamp anew
            _write_meta(path, {**meta, **stamped})
        return BuildOutcome(False, digest, count_quads(store, path))
    _write_meta(path, {"building": True, "source_hash": digest})
    _forget_snapshot(path)
    loaded = bulk_load_sources(store, files)
    if loaded is None:
        quads = parse_sources(files)
        replace_file_graphs(store, quads)
        loaded = len(quads)
    _write_meta(path, {"source_hash": digest, "quads": loaded, **stamped})
    return BuildOutcome(True, digest, loaded)


def count_quads(store: ox.Store, path: Path) -> int:
    """The number of quads in ``store``; counted in a child process when its files are at ``path`` and big
    enough, so this process keeps none of the RocksDB cache the count fills (:mod:`iopgraph.store.dump_child`)."""
    if not (path / "CURRENT").is_file() or not worth_a_child(path):  # in memory (tests), or small
        return len(store)
    try:
        return count_in_child(store, path)
    except DumpError as exc:
        log.warning("%s; counting in this process", exc)
        return len(store)


def _stamped_hash(meta: dict[str, object], stamps: list[list[str | int]]) -> str | None:
    """The stored hash when every file has the name, size and time it had when it was hashed, and none was
    modified within :data:`RACY_NS` before that; else None (the bytes must be read)."""
    taken = meta.get("stamped_ns")
    if meta.get("building") or meta.get("source_stamps") != stamps or not isinstance(taken, int):
        return None
    if any(int(mtime) >= taken - RACY_NS for _, _, mtime in stamps):
        return None
    found = meta.get("source_hash")
    return found if isinstance(found, str) else None


def _forget_snapshot(path: Path) -> None:
    """The workers' persisted start-up snapshot no longer matches the store once a build starts."""
    (path.parent / f"{path.name}.snapshot.json").unlink(missing_ok=True)
