"""Dumps of the whole graph in the formats harvesters download."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyoxigraph as ox

from iopgraph.core.media_types import DUMP_OFFERS, RdfSyntax, rdf_syntax, syntax_by_name
from iopgraph.core.namespaces import PREFIXES

#: Dumps written by `iopgraph build`, by file name.
DUMP_SYNTAXES = tuple(rdf_syntax(m).name for m in DUMP_OFFERS)
DUMP_STEM = "iopgraph"


def union_triples(store: ox.Store) -> list[ox.Triple]:
    """All distinct triples of all graphs, in a stable order."""
    seen = {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None)}
    return sorted(seen, key=str)


def serialize(store: ox.Store, syntax: RdfSyntax) -> bytes:
    if syntax.is_dataset:
        quads = sorted(store.quads_for_pattern(None, None, None), key=str)
        return ox.serialize(quads, format=syntax.format, prefixes=PREFIXES) or b""
    return ox.serialize(union_triples(store), format=syntax.format, prefixes=PREFIXES) or b""


def write_dumps(store: ox.Store, folder: Path) -> list[Path]:
    """Write one dump per syntax (plus a gzip of each) into ``folder``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in DUMP_SYNTAXES:
        syntax = syntax_by_name(name)
        assert syntax is not None
        target = folder / f"{DUMP_STEM}.{syntax.extensions[0]}"
        data = serialize(store, syntax)
        target.write_bytes(data)
        (folder / (target.name + ".gz")).write_bytes(gzip.compress(data, mtime=0))
        written.append(target)
    return written
