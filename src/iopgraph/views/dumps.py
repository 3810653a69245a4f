"""Dumps of the whole graph at stable URLs (``/dumps/iopgraph.ttl`` ...), built once per store version.

Turtle and N-Triples hold the union of all named graphs; N-Quads and TriG keep
one named graph per source file; JSON-LD is compacted with the published
context (one flat node per subject). The bytes are cached on ``app.state`` per
backend version, so a harvester's repeated download costs one build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import anyio.to_thread
import pyoxigraph as ox

from iopgraph.core.media_types import RdfSyntax, syntax_by_name
from iopgraph.core.namespaces import PREFIXES
from iopgraph.core.terms import subject_of
from iopgraph.store.backend import Backend
from iopgraph.views.jsonld import document, frame

STEM = "iopgraph"


@dataclass(frozen=True)
class Dump:
    name: str  # file name, e.g. iopgraph.ttl
    syntax: RdfSyntax
    title: str


# syntax_by_name is None only for an unknown name; the five below are known (hence the ignores).
DUMPS: dict[str, Dump] = {
    d.name: d
    for d in (
        Dump(f"{STEM}.ttl", syntax_by_name("turtle"), "Turtle"),  # type: ignore[arg-type]
        Dump(f"{STEM}.nt", syntax_by_name("n-triples"), "N-Triples"),  # type: ignore[arg-type]
        Dump(f"{STEM}.jsonld", syntax_by_name("json-ld"), "JSON-LD (compacted with the v1 context)"),  # type: ignore[arg-type]
        Dump(f"{STEM}.nq", syntax_by_name("n-quads"), "N-Quads (one named graph per source file)"),  # type: ignore[arg-type]
        Dump(f"{STEM}.trig", syntax_by_name("trig"), "TriG (one named graph per source file)"),  # type: ignore[arg-type]
    )
}


def _serialise(quads: list[ox.Quad], dump: Dump, context_url: str) -> bytes:
    triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
    if dump.syntax.name == "json-ld":  # the union graph, compacted like every other JSON-LD response
        subjects = sorted({subject_of(t) for t in triples}, key=str)
        framed = frame(triples, subjects, max_depth=0)
        return json.dumps(document(context_url, framed), ensure_ascii=False).encode()
    if dump.syntax.is_dataset:
        return ox.serialize(sorted(quads, key=str), format=dump.syntax.format, prefixes=PREFIXES) or b""
    return ox.serialize(triples, format=dump.syntax.format, prefixes=PREFIXES) or b""


async def dump_bytes(
    backend: Backend, cache: dict[tuple[str, str], bytes], dump: Dump, context_url: str
) -> bytes:
    """The dump at the backend's current version, built once (older versions are dropped from ``cache``)."""
    key = (backend.version, dump.name)
    if key not in cache:
        quads = await backend.quads()
        data = await anyio.to_thread.run_sync(_serialise, quads, dump, context_url)
        for old in [k for k in cache if k[0] != backend.version]:
            del cache[old]
        cache[key] = data
    return cache[key]
