"""The one serialiser of whole RDF documents, JSON-LD included: dumps, graph downloads, graph responses.

    body = serialize(quads, syntax, context_url)

Every syntax but JSON-LD is written by :func:`iopgraph.core.rdfio.serialize`
(sorted, the project's prefixes). The JSON-LD policy: a JSON-LD document is
always compacted with the shipped context (``/context/v1.jsonld``), one flat
node object per subject, so a harvester reads the same keys in a dump, a
graph download and a page; expanding it with the context gives back exactly
the triples (graph names dropped: the union graph).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pyoxigraph as ox

from iopgraph.core.media_types import RdfSyntax
from iopgraph.core.rdfio import serialize as serialize_syntax
from iopgraph.views.jsonld import CONTEXT_PATH, Subject, document, frame


def context_url(base_url: str) -> str:
    """The URL of the context JSON-LD is compacted with: the one the service at ``base_url`` publishes."""
    return base_url.rstrip("/") + CONTEXT_PATH


def compacted_jsonld(triples: Iterable[ox.Triple], context_url: str) -> bytes:
    """``triples`` as JSON-LD compacted with the context at ``context_url``: one node per subject, sorted."""
    ordered = sorted(dict.fromkeys(triples), key=str)
    subjects: list[Subject] = sorted({t.subject for t in ordered}, key=str)  # type: ignore[misc]
    framed = frame(ordered, subjects, max_depth=0)
    return json.dumps(document(context_url, framed), ensure_ascii=False).encode()


def serialize(items: Iterable[ox.Triple] | Iterable[ox.Quad], syntax: RdfSyntax, context_url: str) -> bytes:
    """``items`` (triples, or quads: their graphs are kept by TriG and N-Quads) in ``syntax``."""
    if syntax.format == ox.RdfFormat.JSON_LD:
        return compacted_jsonld((_triple(i) for i in items), context_url)
    if not syntax.is_dataset:
        return serialize_syntax({_triple(i) for i in items}, syntax)
    return serialize_syntax(items, syntax)


def _triple(item: ox.Triple | ox.Quad) -> ox.Triple:
    return item.triple if isinstance(item, ox.Quad) else item
