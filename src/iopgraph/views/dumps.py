"""Dumps of the whole graph: the files `iopgraph build` writes and ``/dumps/iopgraph.ttl`` ... serves.

Both go through :func:`dump_bytes_of` (and so :mod:`iopgraph.views.serialize`),
so the file of a build and the download of a server on the same store are the
same bytes. Turtle and N-Triples hold the union of all named graphs; N-Quads
and TriG keep one named graph per source file; JSON-LD is the union graph
compacted with the published context (one flat node per subject). The bytes are cached in the app's context
per backend version, so a harvester's repeated download costs
one build.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
import pyoxigraph as ox

from iopgraph.core.media_types import (
    DUMP_OFFERS,
    JSONLD,
    N_QUADS,
    TRIG,
    RdfSyntax,
    label,
    rdf_syntax,
)
from iopgraph.store.backend import Backend
from iopgraph.views.serialize import context_url, serialize

STEM = "iopgraph"


@dataclass(frozen=True)
class Dump:
    name: str  # file name, e.g. iopgraph.ttl
    syntax: RdfSyntax
    title: str


_TITLES = {
    JSONLD: "JSON-LD (compacted with the v1 context)",
    N_QUADS: "N-Quads (one named graph per source file)",
    TRIG: "TriG (one named graph per source file)",
}
#: One dump per syntax of the registry's dump offers, named by the syntax's first extension.
DUMPS: dict[str, Dump] = {
    d.name: d
    for d in (
        Dump(f"{STEM}.{rdf_syntax(m).extensions[0]}", rdf_syntax(m), _TITLES.get(m, label(m)))
        for m in DUMP_OFFERS
    )
}


def dump_bytes_of(quads: Iterable[ox.Quad], dump: Dump, base_url: str) -> bytes:
    """The bytes of ``dump`` for ``quads`` (the whole store)."""
    return serialize(quads, dump.syntax, context_url(base_url))


def write_dumps(quads: list[ox.Quad], folder: Path, base_url: str) -> list[Path]:
    """Write every dump (plus a gzip of each, as ``/dumps/<name>.gz`` serves it) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for dump in DUMPS.values():
        target = folder / dump.name
        data = dump_bytes_of(quads, dump, base_url)
        target.write_bytes(data)
        (folder / (dump.name + ".gz")).write_bytes(gzip.compress(data, mtime=0))
        written.append(target)
    return written


async def dump_bytes(
    backend: Backend, cache: dict[tuple[str, str], bytes], dump: Dump, base_url: str
) -> bytes:
    """The dump at the backend's current version, built once (older versions are dropped from ``cache``)."""
    key = (backend.version, dump.name)
    if key not in cache:
        quads = await backend.quads()
        data = await anyio.to_thread.run_sync(dump_bytes_of, quads, dump, base_url)
        for old in [k for k in cache if k[0] != backend.version]:
            del cache[old]
        cache[key] = data
    return cache[key]
