"""The one table of RDF and result media types: media type ↔ pyoxigraph format ↔ extension.

Everything that reads or writes a serialisation asks this module, so a format
is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox


@dataclass(frozen=True)
class RdfSyntax:
    """An RDF serialisation the project reads and writes."""

    name: str
    media_type: str
    extensions: tuple[str, ...]
    format: ox.RdfFormat
    rdflib_format: str
    aliases: tuple[str, ...] = ()

    @property
    def is_dataset(self) -> bool:
        return bool(self.format.supports_datasets)


RDF_SYNTAXES: tuple[RdfSyntax, ...] = (
    RdfSyntax("turtle", "text/turtle", ("ttl",), ox.RdfFormat.TURTLE, "turtle", ("application/x-turtle",)),
    RdfSyntax("n-triples", "application/n-triples", ("nt",), ox.RdfFormat.N_TRIPLES, "nt", ("text/plain",)),
    RdfSyntax("json-ld", "application/ld+json", ("jsonld", "json"), ox.RdfFormat.JSON_LD, "json-ld"),
    RdfSyntax("rdf-xml", "application/rdf+xml", ("rdf", "owl", "xml"), ox.RdfFormat.RDF_XML, "xml"),
    RdfSyntax("n-quads", "application/n-quads", ("nq",), ox.RdfFormat.N_QUADS, "nquads"),
    RdfSyntax("trig", "application/trig", ("trig",), ox.RdfFormat.TRIG, "trig"),
)

_BY_EXTENSION = {ext: s for s in RDF_SYNTAXES for ext in s.extensions}
_BY_MEDIA_TYPE = {mt: s for s in RDF_SYNTAXES for mt in (s.media_type, *s.aliases)}
_BY_NAME = {s.name: s for s in RDF_SYNTAXES}


def syntax_for_path(path: str | Path) -> RdfSyntax | None:
    """The syntax a file name's extension stands for, or None."""
    suffix = Path(path).suffix.lower().lstrip(".")
    return _BY_EXTENSION.get(suffix)


def syntax_for_media_type(media_type: str) -> RdfSyntax | None:
    """The syntax of a media type (parameters such as charset are ignored), or None."""
    base = media_type.split(";", 1)[0].strip().lower()
    return _BY_MEDIA_TYPE.get(base)


#: Media types that name a syntax in responses (N-Triples used to be served as text/plain) but never in a
#: body a client sends: ``text/plain`` says nothing about the syntax of an upload (415).
_RESPONSE_ONLY = frozenset({"text/plain"})


def syntax_for_body(media_type: str) -> RdfSyntax | None:
    """The syntax of an uploaded body's Content-Type, or None (generic types such as text/plain name none)."""
    base = media_type.split(";", 1)[0].strip().lower()
    return None if base in _RESPONSE_ONLY else _BY_MEDIA_TYPE.get(base)


def syntax_by_name(name: str) -> RdfSyntax | None:
    """The syntax called ``name`` (turtle, n-triples, json-ld, rdf-xml, n-quads, trig)."""
    return _BY_NAME.get(name.lower())


def rdf_source_extensions() -> frozenset[str]:
    """Extensions of files treated as RDF sources when a folder is scanned."""
    return frozenset(e for e in _BY_EXTENSION if e not in {"json", "xml"})


HTML = "text/html"
JSONLD = "application/ld+json"
#: What a graph-shaped resource can be served as, in the server's order of preference.
RDF_OFFERS = [HTML, JSONLD, "text/turtle", "application/n-triples", "application/rdf+xml"]
#: What a JSON-LD-only view (collections, guidance API) can be served as.
JSONLD_OFFERS = [JSONLD, "application/json"]
#: ``?format=`` values for the Link alternates (their aliases are in core.conneg.FORMAT_ALIASES).
FORMAT_NAMES = {
    HTML: "html",
    JSONLD: "jsonld",
    "text/turtle": "ttl",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdf",
    "application/n-quads": "nq",
    "application/trig": "trig",
}
