"""Dumps, backups and restores of the whole store, streamed in chunks so progress can be shown.

    n = dump_store(store, out, syntax)                  # `iopgraph dump`
    info = backup_store(store, Path("var/backup.nq.gz"))  # `iopgraph backup`
    n = restore_store(store, Path("var/backup.nq.gz"))    # `iopgraph restore`: an isomorphic dataset

A backup is gzipped N-Quads (portable: any RDF store reads it) plus a
``.json`` manifest with the quad count and SHA-256, checked on restore. A
restore parses the whole file before it touches the store, so a damaged backup
leaves the store as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pyoxigraph as ox

from iopgraph.core.errors import InputError, RdfSyntaxError
from iopgraph.core.media_types import RdfSyntax, syntax_by_name, syntax_for_path
from iopgraph.core.namespaces import PREFIXES
from iopgraph.stewardship.changes import is_system_graph

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

Progress = Callable[[int], None]
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
        out.write(
            ox.serialize(chunk, format=syntax.format, prefixes=PREFIXES if syntax.name == "trig" else None)
            or b""
        )
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


class _Counting(io.RawIOBase):
    """A reader reporting how many bytes were read (for progress bars while parsing)."""

    def __init__(self, raw: BinaryIO, on_progress: Progress | None) -> None:
        self.raw = raw
        self.on_progress = on_progress

    def readable(self) -> bool:
        return True

    # io hands readinto a bytearray or memoryview; typeshed declares any writable buffer.
    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        if self.on_progress and data:
            self.on_progress(len(data))
        return len(data)


def read_rdf(
    path: Path, on_progress: Progress | None = None, graph: ox.NamedNode | ox.DefaultGraph | None = None
) -> list[ox.Quad]:
    """Parse an RDF file (optionally gzipped: ``.nq.gz``), reporting bytes read; errors name line and column."""
    gzipped = path.suffix == ".gz"
    syntax = syntax_for_path(path.with_suffix("") if gzipped else path)
    if syntax is None:
        raise InputError(
            f"{path}: not an RDF file this tool reads (use .ttl, .nt, .jsonld, .rdf, .nq, .trig, "
            "optionally .gz)"
        )
    try:
        with path.open("rb") as raw:
            counted = io.BufferedReader(_Counting(raw, on_progress))
            # typeshed's GzipFile is no BinaryIO, which pyoxigraph's parse asks for (it reads any binary file).
            stream: BinaryIO = gzip.GzipFile(fileobj=counted) if gzipped else counted  # type: ignore[assignment]
            quads = list(ox.parse(stream, syntax.format, rename_blank_nodes=True))
    except SyntaxError as exc:
        text = str(getattr(exc, "msg", exc))
        detail = text.split(": ", 1)[1] if text.startswith("Parser error") and ": " in text else text
        raise RdfSyntaxError(detail, str(path), exc.lineno, exc.offset) from exc
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot be read: {exc}") from exc
    if graph is not None and not syntax.is_dataset:
        quads = [ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads]
    return quads


def restore_store(store: ox.Store, source: Path, on_progress: Progress | None = None) -> int:
    """Replace the store's content by the backup ``source``; returns the number of quads."""
    manifest = _manifest(source)
    if manifest.exists():
        expected = json.loads(manifest.read_text())
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        if digest != expected.get("sha256"):
            raise InputError(f"{source} does not match its manifest (sha256 differs): the backup is damaged")
    quads = read_rdf(source, on_progress)
    if manifest.exists() and len(set(quads)) != expected.get("quads"):
        raise InputError(f"{source} holds {len(quads)} quads, its manifest says {expected.get('quads')}")
    store.clear()
    store.bulk_extend(quads)
    store.flush()
    return len(quads)
