"""The project's source files: where they are, which named graph each one fills, and their hash.

The pipeline is visible in the layout: ``ontology/``, ``shapes/``, ``data/`` and
``queries/`` are the sources; everything else is built from them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from iopgraph.core.media_types import rdf_source_extensions
from iopgraph.core.namespaces import named_graph

#: Folders whose RDF files are loaded into the store (shapes are used for validation only).
GRAPH_FOLDERS = ("ontology", "data")


@dataclass(frozen=True)
class SourceFile:
    """One RDF source file and the named graph it is loaded into."""

    path: Path
    relative: str

    @property
    def graph_iri(self) -> str:
        stem = self.relative.rsplit(".", 1)[0]
        return named_graph(stem)


def find_root(start: Path | None = None) -> Path:
    """The project folder: the nearest folder, from ``start`` up, with ``ontology/`` and ``data/``."""
    candidates = [start] if start else [Path.cwd(), Path(__file__).resolve().parents[3]]
    for candidate in candidates:
        for folder in (candidate, *candidate.parents):
            if (folder / "ontology").is_dir() and (folder / "data").is_dir():
                return folder
    raise FileNotFoundError("no project folder with ontology/ and data/ found; set IOPGRAPH_ROOT")


def rdf_files(folder: Path, root: Path) -> list[SourceFile]:
    """RDF files below ``folder``, sorted, relative to ``root``."""
    if not folder.exists():
        return []
    extensions = rdf_source_extensions()
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lstrip(".").lower() in extensions)
    return [SourceFile(p, p.relative_to(root).as_posix()) for p in files]


def graph_sources(root: Path) -> list[SourceFile]:
    """The ontology and data files, loaded into the store as one named graph each."""
    return [f for folder in GRAPH_FOLDERS for f in rdf_files(root / folder, root)]


def shape_sources(root: Path) -> list[SourceFile]:
    return rdf_files(root / "shapes", root)


def source_for_path(path: Path, root: Path) -> SourceFile:
    """A SourceFile for any path (inside the project or not)."""
    resolved = path.resolve()
    try:
        relative = resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        relative = "external/" + resolved.name
    return SourceFile(resolved, relative)


def file_stamps(files: list[SourceFile]) -> list[list[str | int]]:
    """Each file's name, size and modification time (ns), by name: what a restart compares before it
    reads any bytes (see :func:`iopgraph.store.local.ensure_built`)."""
    stamps: list[list[str | int]] = []
    for f in sorted(files, key=lambda f: f.relative):
        stat = f.path.stat()
        stamps.append([f.relative, stat.st_size, stat.st_mtime_ns])
    return stamps


def content_hash(files: list[SourceFile]) -> str:
    """A hash of the names and bytes of ``files``: changes whenever a source changes."""
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.relative):
        digest.update(f.relative.encode())
        digest.update(b"\0")
        digest.update(f.path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
