"""Reading RDF: files and bytes into pyoxigraph quads or rdflib graphs, with errors a person can act on.

Parsing uses Oxigraph's parsers (fast, precise line/column positions, no network
access: JSON-LD remote contexts and XML external entities are never fetched). RDF/XML with
entity declarations is refused outright, so no entity is ever expanded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.term import Node

from iopgraph.errors import RdfSyntaxError, UnknownFormat
from iopgraph.media_types import RdfSyntax, syntax_for_media_type, syntax_for_path


def _syntax_error(exc: SyntaxError, source: str) -> RdfSyntaxError:
    text = str(exc.msg if hasattr(exc, "msg") else exc)
    detail = text.split(": ", 1)[1] if text.startswith("Parser error") and ": " in text else text
    return RdfSyntaxError(detail, source, exc.lineno, exc.offset)


def parse_file(path: Path, graph: ox.NamedNode | ox.DefaultGraph | None = None) -> list[ox.Quad]:
    """All quads of an RDF file; triples go into ``graph`` (default graph when None)."""
    syntax = syntax_for_path(path)
    if syntax is None:
        raise UnknownFormat(f"{path}: not an RDF file this tool reads (use .ttl, .nt, .jsonld, .rdf, .nq, .trig)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RdfSyntaxError(f"cannot read the file: {exc.strerror}", str(path)) from exc
    return parse_bytes(data, syntax, str(path), graph)


def parse_bytes(
    data: bytes,
    syntax: RdfSyntax | str,
    source: str = "request body",
    graph: ox.NamedNode | ox.DefaultGraph | None = None,
    base_iri: str | None = None,
) -> list[ox.Quad]:
    """All quads of ``data`` in ``syntax`` (an :class:`RdfSyntax` or a media type)."""
    if isinstance(syntax, str):
        found = syntax_for_media_type(syntax)
        if found is None:
            raise UnknownFormat(f"{syntax!r} is not an RDF media type this service reads")
        syntax = found
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RdfSyntaxError(f"not valid UTF-8 (byte {exc.start})", source) from exc
    if syntax.format == ox.RdfFormat.RDF_XML and b"<!ENTITY" in data:
        # Oxigraph expands internal entities: a 1 KB "billion laughs" file becomes a 3 GB literal.
        raise RdfSyntaxError("XML entity declarations (<!ENTITY ...>) are not accepted; write the values out "
                             "in the document instead", source)
    try:
        # Blank nodes are renamed so that two files' _:b0 never merge.
        quads = list(ox.parse(data, syntax.format, base_iri=base_iri, rename_blank_nodes=True))
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
        yield ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o), name)  # type: ignore[arg-type]
