"""Reading and writing RDF: files and bytes into pyoxigraph quads or rdflib graphs, and back to bytes.

Every RDF input, whatever the door (an upload, `iopgraph load`, a restore, the
source files at build), goes through :func:`parse_bytes` (or :func:`parse_file`
for a file, gzipped or not), so every input gets the same guards; every
document the project writes (dumps, backups, graph responses) goes through
:func:`serialize` (JSON-LD, compacted with the shipped context, is written by
:mod:`iopgraph.views.serialize` on top of it).

Parsing uses Oxigraph's parsers (fast, precise line/column positions, no network
access: JSON-LD remote contexts and XML external entities are never fetched). RDF/XML with
entity declarations is refused outright, so no entity is ever expanded.

Before a parser sees untrusted bytes, :func:`screen` answers fast what a parser
should never be asked: invalid UTF-8, XML entity declarations, and JSON-LD or
RDF/XML nested deeper than a limit (Oxigraph's JSON-LD parser recurses: 5,000
nested ``@list`` crash the process). The service runs parsing itself in an
isolated worker (:mod:`iopgraph.stewardship.jobs`); the screen is the first answer.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from pathlib import Path
from typing import cast

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from iopgraph.core.errors import PayloadTooLarge, RdfSyntaxError, UnknownFormat
from iopgraph.core.media_types import RdfSyntax, syntax_for_media_type, syntax_for_path
from iopgraph.core.namespaces import PREFIXES

#: Nesting a document may have when no limit is given (IOPGRAPH_MAX_RDF_DEPTH sets the service's).
DEFAULT_MAX_DEPTH = 64
#: Told how many more bytes were read (progress bars).
Progress = Callable[[int], None]


def _syntax_error(exc: SyntaxError, source: str) -> RdfSyntaxError:
    text = str(exc.msg if hasattr(exc, "msg") else exc)
    detail = text.split(": ", 1)[1] if text.startswith("Parser error") and ": " in text else text
    return RdfSyntaxError(detail, source, exc.lineno, exc.offset)


def parse_file(
    path: Path,
    graph: ox.NamedNode | ox.DefaultGraph | None = None,
    on_progress: Progress | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> list[ox.Quad]:
    """All quads of an RDF file (gzipped when it ends in ``.gz``: ``backup.nq.gz``), screened like an upload.

    Triples go into ``graph`` (default graph when None). ``on_progress`` hears how many bytes of the
    file were parsed, as parsing goes (for progress bars).
    """
    gzipped = path.suffix.lower() == ".gz"
    syntax = syntax_for_path(path.with_suffix("") if gzipped else path)
    if syntax is None:
        raise UnknownFormat(
            f"{path}: not an RDF file this tool reads (use .ttl, .nt, .jsonld, .rdf, .nq, .trig"
            + (", optionally .gz)" if gzipped else ")")
        )
    try:
        raw = path.read_bytes()
        data = gzip.decompress(raw) if gzipped else raw
    except OSError as exc:
        raise RdfSyntaxError(f"cannot read the file: {exc.strerror or exc}", str(path)) from exc
    except (EOFError, zlib.error) as exc:
        raise RdfSyntaxError(f"the gzip data is damaged or cut short: {exc}", str(path)) from exc
    report = _scaled(on_progress, len(raw), len(data)) if on_progress else None
    return parse_bytes(data, syntax, str(path), graph, max_depth=max_depth, on_progress=report)


def _scaled(on_progress: Progress, file_size: int, data_size: int) -> Progress:
    """Report parsed bytes of the (decompressed) data as bytes of the file, so a bar's total is the file size."""
    done = 0
    reported = 0

    def advance(n: int) -> None:
        nonlocal done, reported
        done += n
        now = file_size if done >= data_size else done * file_size // max(data_size, 1)
        if now > reported:
            on_progress(now - reported)
            reported = now

    return advance


class _Counting(io.RawIOBase):
    """A reader over bytes telling ``on_progress`` how many were read (the parser reads it in blocks)."""

    def __init__(self, data: bytes, on_progress: Progress) -> None:
        self._data = memoryview(data)
        self._at = 0
        self._on_progress = on_progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._data[self._at : self._at + len(buffer)]
        n = len(chunk)
        buffer[:n] = chunk
        self._at += n
        if n:
            self._on_progress(n)
        return n


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_STEPS = {ord("{"): 1, ord("["): 1, ord("}"): -1, ord("]"): -1}
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _JSON_STEPS)
_XML_SKIPPED = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![^>]*>", re.DOTALL)
_XML_TAG = re.compile(rb"<(/?)[^>]*?(/?)>", re.DOTALL)


def json_depth(data: bytes) -> int:
    """The deepest nesting of objects and arrays in a JSON text (strings ignored); linear, no recursion."""
    brackets = _JSON_STRING.sub(b'""', data).translate(None, _NOT_BRACKETS)
    return max(accumulate(_JSON_STEPS[b] for b in brackets), default=0)


def xml_depth(data: bytes) -> int:
    """The deepest nesting of elements in an XML text (comments, CDATA, declarations ignored)."""
    text = _XML_SKIPPED.sub(b"", data)
    steps = (-1 if m.group(1) else (0 if m.group(2) else 1) for m in _XML_TAG.finditer(text))
    return max(accumulate(steps), default=0)


def screen(
    data: bytes, syntax: RdfSyntax, source: str = "request body", max_depth: int = DEFAULT_MAX_DEPTH
) -> None:
    """Refuse (400) what no parser should be handed: invalid UTF-8, XML entities, nesting deeper than ``max_depth``."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RdfSyntaxError(f"not valid UTF-8 (byte {exc.start})", source) from exc
    if syntax.format == ox.RdfFormat.RDF_XML:
        if b"<!ENTITY" in data:
            # Oxigraph expands internal entities: a 1 KB "billion laughs" file becomes a 3 GB literal.
            raise RdfSyntaxError(
                "XML entity declarations (<!ENTITY ...>) are not accepted; write the values out "
                "in the document instead",
                source,
            )
        depth, what = xml_depth(data), "elements"
    elif syntax.format == ox.RdfFormat.JSON_LD:
        depth, what = json_depth(data), "objects and arrays"
    else:
        return
    if depth > max_depth:
        raise RdfSyntaxError(
            f"the document nests {what} {depth} levels deep; at most {max_depth} are accepted "
            "(IOPGRAPH_MAX_RDF_DEPTH): flatten it, e.g. give nested resources their own @id",
            source,
        )


def parse_bytes(
    data: bytes,
    syntax: RdfSyntax | str,
    source: str = "request body",
    graph: ox.NamedNode | ox.DefaultGraph | None = None,
    base_iri: str | None = None,
    max_quads: int | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    on_progress: Progress | None = None,
) -> list[ox.Quad]:
    """All quads of ``data`` in ``syntax`` (an :class:`RdfSyntax` or a media type), after :func:`screen`.

    ``max_quads``: more quads than that stop the parse with 413 (IOPGRAPH_MAX_UPLOAD_QUADS).
    ``on_progress`` hears how many bytes were parsed, as parsing goes.
    """
    if isinstance(syntax, str):
        found = syntax_for_media_type(syntax)
        if found is None:
            raise UnknownFormat(f"{syntax!r} is not an RDF media type this service reads")
        syntax = found
    screen(data, syntax, source, max_depth)
    try:
        # Blank nodes are renamed so that two files' _:b0 never merge.
        quads: list[ox.Quad] = []
        source_bytes: bytes | io.BufferedReader = (
            io.BufferedReader(_Counting(data, on_progress)) if on_progress else data
        )
        for quad in ox.parse(source_bytes, syntax.format, base_iri=base_iri, rename_blank_nodes=True):
            quads.append(quad)
            if max_quads is not None and len(quads) > max_quads:
                raise PayloadTooLarge(
                    f"{source} holds more than {max_quads} triples, the most one upload may have "
                    "(IOPGRAPH_MAX_UPLOAD_QUADS); split it into several writes"
                )
    except SyntaxError as exc:
        raise _syntax_error(exc, source) from exc
    if graph is None or syntax.is_dataset:
        return quads
    return [ox.Quad(q.subject, q.predicate, q.object, graph) for q in quads]


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
    """Convert one pyoxigraph term to rdflib."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(datatype))
    raise TypeError(f"cannot convert {term!r} to rdflib")


def quads_to_graph(quads: Iterable[ox.Quad], into: rdflib.Graph | None = None) -> rdflib.Graph:
    """Merge the triples of ``quads`` (graph names dropped) into an rdflib graph."""
    graph = into if into is not None else rdflib.Graph()
    add = graph.add
    for q in quads:
        add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return graph


def from_rdflib(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """Convert one rdflib term to pyoxigraph."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r} to pyoxigraph")


def graph_to_quads(graph: rdflib.Graph, name: ox.NamedNode | ox.DefaultGraph) -> Iterator[ox.Quad]:
    """The triples of an rdflib graph as quads in graph ``name``."""
    for s, p, o in graph:
        # rdflib types every position as Node; a graph's subjects are never literals, predicates IRIs.
        yield ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o), name)  # type: ignore[arg-type]


# --- writing ------------------------------------------------------------------------------------

#: The prefixes every Turtle or TriG document the project writes declares (RDF/XML uses them as namespaces).
OUTPUT_PREFIXES = {
    **PREFIXES,
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "tree": "https://w3id.org/tree#",
    "ldes": "https://w3id.org/ldes#",
    "void": "http://rdfs.org/ns/void#",
    "dcatap": "http://data.europa.eu/r5r/",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}


def serialize(
    items: Iterable[ox.Triple] | Iterable[ox.Quad], syntax: RdfSyntax | str, ordered: bool = True
) -> bytes:
    """``items`` in ``syntax`` (an :class:`RdfSyntax` or a media type) with the project's prefixes;
    de-duplicated and sorted unless ``ordered`` is False.

    The one writer of RDF documents (dumps, backups, releases, graph responses): the same
    triples give the same bytes whichever path wrote them. JSON-LD is refused here: it is
    written compacted with the shipped context (:func:`iopgraph.views.serialize.serialize`).
    """
    if isinstance(syntax, str):
        found = syntax_for_media_type(syntax)
        if found is None:
            raise ValueError(f"{syntax!r} is not an RDF media type")
        syntax = found
    if syntax.format == ox.RdfFormat.JSON_LD:
        raise ValueError("JSON-LD is written compacted with the context: use iopgraph.views.serialize")
    written = cast(Iterable[ox.Quad], sorted(dict.fromkeys(items), key=str) if ordered else items)
    return ox.serialize(written, format=syntax.format, prefixes=OUTPUT_PREFIXES) or b""
