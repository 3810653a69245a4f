"""Dumps, backups and restores of the whole store, streamed in chunks so progress can be shown.

    n = dump_store(store, out, syntax)                  # `iopgraph dump`
    info = backup_store(store, Path("var/backup.nq.gz"))  # `iopgraph backup`
    n = restore_store(store, Path("var/backup.nq.gz"))    # `iopgraph restore`: an isomorphic dataset

A backup is gzipped N-Quads (portable: any RDF store reads it) plus a
``.json`` manifest with the quad count and SHA-256, checked on restore. A
restore parses the whole file (through :func:`iopgraph.core.rdfio.parse_file`,
with the guards every input gets) before it touches the store, so a damaged
backup leaves the store as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from iopgraph.core.errors import InputError
from iopgraph.core.media_types import RdfSyntax, syntax_by_name
from iopgraph.core.rdfio import Progress, parse_file, serialize
from iopgraph.stewardship.changes import is_system_graph

if TYPE_CHECKING:
    from _typeshed import SupportsWrite
CHUNK = 20_000


def _chunks(quads: Iterator[ox.Quad], size: int = CHUNK) -> Iterator[list[ox.Quad]]:
    chunk: list[ox.Quad] = []
    for q in quads:
        chunk.append(q)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def store_quads(store: ox.Store, include_system: bool = True) -> Iterator[ox.Quad]:
    for q in store.quads_for_pattern(None, None, None):
        if include_system or not is_system_graph(q.graph_name):
            yield q


def dump_store(
    store: ox.Store,
    out: SupportsWrite[bytes],
    syntax: RdfSyntax,
    on_progress: Progress | None = None,
    include_system: bool = True,
) -> int:
    """Write every quad (N-Quads or TriG) to ``out``; returns the count."""
    if not syntax.is_dataset:
        raise InputError(
            f"a dump of the whole store needs a dataset syntax (n-quads, trig), not {syntax.name}"
        )
    count = 0
    for chunk in _chunks(store_quads(store, include_system)):
        out.write(serialize(chunk, syntax, ordered=False))  # streamed: chunk by chunk, in store order
        count += len(chunk)
        if on_progress:
            on_progress(len(chunk))
    return count


@dataclass(frozen=True)
class BackupInfo:
    path: str
    quads: int
    sha256: str
    created: str


def _manifest(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def backup_store(store: ox.Store, dest: Path, on_progress: Progress | None = None) -> BackupInfo:
    """Write the store to ``dest`` (gzipped N-Quads) and its manifest beside it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    nquads = syntax_by_name("n-quads")
    assert nquads is not None
    buffer = io.BytesIO()
    count = dump_store(store, buffer, nquads, on_progress)
    data = gzip.compress(buffer.getvalue(), mtime=0)
    dest.write_bytes(data)
    info = BackupInfo(
        str(dest),
        count,
        hashlib.sha256(data).hexdigest(),
        datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    )
    _manifest(dest).write_text(json.dumps(asdict(info), indent=2))
    return info


def restore_store(store: ox.Store, source: Path, on_progress: Progress | None = None) -> int:
    """Replace the store's content by the backup ``source``; returns the number of quads."""
    manifest = _manifest(source)
    if manifest.exists():
        expected = json.loads(manifest.read_text())
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        if digest != expected.get("sha256"):
            raise InputError(f"{source} does not match its manifest (sha256 differs): the backup is damaged")
    quads = parse_file(source, on_progress=on_progress)
    if manifest.exists() and len(set(quads)) != expected.get("quads"):
        raise InputError(f"{source} holds {len(quads)} quads, its manifest says {expected.get('quads')}")
    store.clear()
    store.bulk_extend(quads)
    store.flush()
    return len(quads)
