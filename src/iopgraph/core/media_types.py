"""The representation registry: every media type the service reads or writes, declared once.

Each :class:`Representation` says its media type, its label, its ``?format=``
short names, its file extensions and, for RDF, its serializer syntax
(:class:`RdfSyntax`: pyoxigraph and rdflib formats). The *offer sets* below name
what each kind of view can be served as, in the server's order of preference;
negotiation (:mod:`iopgraph.core.conneg`), the Link alternates, uploads, dumps
and the SPARQL result formats all read them, so a format is added in one place.

A ``?format=`` short name stands for the first offer of the view that it names:
``json`` is SPARQL JSON results on a SELECT query, the JSON summary of a
validation report and JSON-LD on a graph or collection view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

# -- media types ------------------------------------------------------------------------------------------

HTML = "text/html"
JSON = "application/json"
JSONLD = "application/ld+json"
TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"
RDF_XML = "application/rdf+xml"
N_QUADS = "application/n-quads"
TRIG = "application/trig"
RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
XML = "application/xml"
TEXT_XML = "text/xml"
TEXT = "text/plain"
PROBLEM = "application/problem+json"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
OCTET_STREAM = "application/octet-stream"
GZIP = "application/gzip"
MARKDOWN = "text/markdown"
JAVASCRIPT = "text/javascript"


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
    RdfSyntax("turtle", TURTLE, ("ttl",), ox.RdfFormat.TURTLE, "turtle", ("application/x-turtle",)),
    RdfSyntax("n-triples", N_TRIPLES, ("nt",), ox.RdfFormat.N_TRIPLES, "nt", (TEXT,)),
    RdfSyntax("json-ld", JSONLD, ("jsonld", "json"), ox.RdfFormat.JSON_LD, "json-ld"),
    RdfSyntax("rdf-xml", RDF_XML, ("rdf", "owl", "xml"), ox.RdfFormat.RDF_XML, "xml"),
    RdfSyntax("n-quads", N_QUADS, ("nq",), ox.RdfFormat.N_QUADS, "nquads"),
    RdfSyntax("trig", TRIG, ("trig",), ox.RdfFormat.TRIG, "trig"),
)


@dataclass(frozen=True)
class Representation:
    """One media type: its label, ``?format=`` names (the first is the one links use), extensions, syntax."""

    media_type: str
    label: str
    names: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    syntax: RdfSyntax | None = None
    results: ox.QueryResultsFormat | None = None
    #: The EU Publications Office file type (``dct:format`` in DCAT-AP), e.g. ``RDF_TURTLE``.
    eu_file_type: str | None = None


_SYNTAX = {s.media_type: s for s in RDF_SYNTAXES}


def _rdf(media_type: str, label: str, names: tuple[str, ...], eu_file_type: str) -> Representation:
    syntax = _SYNTAX[media_type]
    return Representation(media_type, label, names, syntax.extensions, syntax, eu_file_type=eu_file_type)


def _results(
    media_type: str, label: str, names: tuple[str, ...], results: ox.QueryResultsFormat
) -> Representation:
    return Representation(media_type, label, names, (names[-1],), results=results)


REPRESENTATIONS: tuple[Representation, ...] = (
    Representation(HTML, "HTML", ("html",), ("html",)),
    _rdf(JSONLD, "JSON-LD", ("jsonld", "json-ld", "json"), "JSON_LD"),
    _rdf(TURTLE, "Turtle", ("ttl", "turtle", "n3"), "RDF_TURTLE"),
    _rdf(N_TRIPLES, "N-Triples", ("nt", "ntriples", "n-triples"), "RDF_N_TRIPLES"),
    _rdf(RDF_XML, "RDF/XML", ("rdf", "rdfxml", "rdf-xml", "rdf+xml", "xml"), "RDF_XML"),
    _rdf(N_QUADS, "N-Quads", ("nq", "nquads"), "RDF_N_QUADS"),
    _rdf(TRIG, "TriG", ("trig",), "RDF_TRIG"),
    _results(RESULTS_JSON, "SPARQL JSON results", ("json", "srj"), ox.QueryResultsFormat.JSON),
    _results(RESULTS_XML, "SPARQL XML results", ("xml", "srx"), ox.QueryResultsFormat.XML),
    _results(CSV, "CSV", ("csv",), ox.QueryResultsFormat.CSV),
    _results(TSV, "TSV", ("tsv",), ox.QueryResultsFormat.TSV),
    # ``json`` names plain JSON only where a view offers it before any other JSON (a validation report).
    Representation(JSON, "JSON", ("json",), ("json",)),
    Representation(XML, "XML"),
    Representation(TEXT_XML, "XML"),
    Representation(TEXT, "Plain text", (), ("txt",)),
    Representation(PROBLEM, "Problem details (RFC 9457)"),
    Representation(SPARQL_QUERY, "SPARQL query", ("sparql",), ("rq",)),
    Representation(SPARQL_UPDATE, "SPARQL update", (), ("ru",)),
    Representation(GZIP, "gzip", (), ("gz",)),
    Representation(MARKDOWN, "Markdown", (), ("md",)),
    Representation(JAVASCRIPT, "JavaScript", (), ("js",)),
)

_BY_TYPE = {r.media_type: r for r in REPRESENTATIONS}


def representation(media_type: str) -> Representation | None:
    """The registry entry of a media type (parameters ignored), or None."""
    return _BY_TYPE.get(media_type.split(";", 1)[0].strip().lower())


def label(media_type: str) -> str:
    """The name people read for a media type (``Turtle``); the media type itself when it is not registered."""
    found = representation(media_type)
    return found.label if found else media_type


def eu_file_type(media_type: str) -> str:
    """The EU file type of a registered RDF media type (``text/turtle`` → ``RDF_TURTLE``)."""
    found = _BY_TYPE[media_type]
    assert found.eu_file_type is not None, f"{media_type} has no EU file type"
    return found.eu_file_type


def iana_iri(media_type: str) -> str:
    """The IANA registry IRI of a media type (DCAT's ``dcat:mediaType``)."""
    return "https://www.iana.org/assignments/media-types/" + media_type


def text_content_type(media_type: str) -> str:
    """The Content-Type header of a body in ``media_type``: ``text/*`` types get ``charset=utf-8``."""
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


# -- offer sets: what each kind of view can be served as, preferred first ----------------------------------

#: A resource of the graph (/id/, /concept/, /graph/, /ontology); plain JSON last, for clients asking only
#: for JSON (the JSON-LD document served as application/json).
RESOURCE_OFFERS: tuple[str, ...] = (HTML, JSONLD, TURTLE, N_TRIPLES, RDF_XML, JSON)
#: The SHACL shapes (/shapes): Turtle-born, no JSON-LD.
SHAPES_OFFERS: tuple[str, ...] = (HTML, TURTLE, N_TRIPLES, RDF_XML)
#: A small descriptive graph with a human page (/catalog, /.well-known/void).
CATALOG_OFFERS: tuple[str, ...] = (JSONLD, TURTLE, N_TRIPLES, RDF_XML, HTML)
#: The LDES feed, its fragments and members.
LDES_OFFERS: tuple[str, ...] = (TURTLE, N_TRIPLES, JSONLD, N_QUADS, TRIG, HTML)
#: A JSON-LD view that also has triples (the /api/ collections, /api/guidance).
JSONLD_VIEW_OFFERS: tuple[str, ...] = (JSONLD, JSON, TURTLE, N_TRIPLES)
#: A JSON-LD-only view (/api/search).
JSONLD_OFFERS: tuple[str, ...] = (JSONLD, JSON)
#: A validation report (/api/validate): the JSON summary first.
REPORT_OFFERS: tuple[str, ...] = (JSON, JSONLD, TURTLE, N_TRIPLES, HTML)
#: One graph of the Graph Store Protocol (/store?graph=).
STORE_GRAPH_OFFERS: tuple[str, ...] = (TURTLE, JSONLD, N_TRIPLES, RDF_XML)
#: The whole dataset of the Graph Store Protocol (/store).
STORE_DATASET_OFFERS: tuple[str, ...] = (TRIG, N_QUADS)
#: The SPARQL service description (GET /sparql without a query).
DESCRIPTION_OFFERS: tuple[str, ...] = (TURTLE, HTML, JSONLD, N_TRIPLES, RDF_XML)
#: SELECT and ASK results; the generic JSON and XML types are answered with the SPARQL ones.
SPARQL_RESULTS_OFFERS: tuple[str, ...] = (RESULTS_JSON, RESULTS_XML, CSV, TSV, JSON, XML, TEXT_XML)
#: The SPARQL type that answers a generic one offered for SELECT and ASK results.
RESULT_MEDIA_ALIASES: dict[str, str] = {JSON: RESULTS_JSON, XML: RESULTS_XML, TEXT_XML: RESULTS_XML}
#: CONSTRUCT and DESCRIBE results: every RDF syntax (text/plain is N-Triples).
SPARQL_GRAPH_OFFERS: tuple[str, ...] = (*(s.media_type for s in RDF_SYNTAXES), TEXT)
#: An error: problem+json, unless the client prefers an HTML page (a browser).
PROBLEM_OFFERS: tuple[str, ...] = (PROBLEM, JSON, HTML)
#: The dumps of the whole graph (``/dumps/iopgraph.<ext>``, ``iopgraph build``).
DUMP_OFFERS: tuple[str, ...] = (TURTLE, N_TRIPLES, JSONLD, N_QUADS, TRIG)
#: What an upload body may be: every RDF syntax.
UPLOAD_OFFERS: tuple[str, ...] = tuple(s.media_type for s in RDF_SYNTAXES)
#: Files of a release (``/releases/<version>/<name>``), by how their name ends.
RELEASE_FILE_TYPES: dict[str, str] = {".gz": GZIP, ".ttl": TURTLE, ".md": MARKDOWN, ".json": JSON}

#: Every offer set by name (the conneg table test walks them).
OFFER_SETS: dict[str, tuple[str, ...]] = {
    "resource": RESOURCE_OFFERS,
    "shapes": SHAPES_OFFERS,
    "catalog": CATALOG_OFFERS,
    "ldes": LDES_OFFERS,
    "jsonld-view": JSONLD_VIEW_OFFERS,
    "jsonld": JSONLD_OFFERS,
    "report": REPORT_OFFERS,
    "store-graph": STORE_GRAPH_OFFERS,
    "store-dataset": STORE_DATASET_OFFERS,
    "description": DESCRIPTION_OFFERS,
    "sparql-results": SPARQL_RESULTS_OFFERS,
    "sparql-graph": SPARQL_GRAPH_OFFERS,
    "problem": PROBLEM_OFFERS,
    "dumps": DUMP_OFFERS,
}


# -- ?format= names --------------------------------------------------------------------------------------


def format_offer(value: str, offers: Sequence[str]) -> str | None:
    """The offer a ``?format=`` value stands for: a media type stands for itself, a short name for the
    first offer it names (``json`` on a JSON-LD view is JSON-LD); None when the view has none."""
    wanted = value.strip().lower()
    if "/" in wanted:
        return wanted if wanted in offers else None
    for offer in offers:
        found = _BY_TYPE.get(offer)
        if found is not None and wanted in found.names:
            return offer
    return None


def format_name(media_type: str, offers: Sequence[str]) -> str | None:
    """The ``?format=`` value that gives ``media_type`` among ``offers`` (for links), or None if none does."""
    found = _BY_TYPE.get(media_type)
    if found is None:
        return None
    return next((n for n in found.names if format_offer(n, offers) == media_type), None)


def format_names() -> frozenset[str]:
    """Every short name ``?format=`` knows."""
    return frozenset(n for r in REPRESENTATIONS for n in r.names)


# -- RDF syntaxes -----------------------------------------------------------------------------------------

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
_RESPONSE_ONLY = frozenset({TEXT})
#: Body types that say nothing about the syntax: a multipart part's file name decides.
GENERIC_BODY_TYPES: tuple[str, ...] = ("", OCTET_STREAM, TEXT)


def syntax_for_body(media_type: str) -> RdfSyntax | None:
    """The syntax of an uploaded body's Content-Type, or None (generic types such as text/plain name none)."""
    base = media_type.split(";", 1)[0].strip().lower()
    return None if base in _RESPONSE_ONLY else _BY_MEDIA_TYPE.get(base)


def syntax_by_name(name: str) -> RdfSyntax | None:
    """The syntax called ``name`` (turtle, n-triples, json-ld, rdf-xml, n-quads, trig)."""
    return _BY_NAME.get(name.lower())


def rdf_syntax(media_type: str) -> RdfSyntax:
    """The syntax of a registered RDF media type (a programming error, KeyError, for any other)."""
    return _SYNTAX[media_type]


def rdf_source_extensions() -> frozenset[str]:
    """Extensions of files treated as RDF sources when a folder is scanned."""
    return frozenset(e for e in _BY_EXTENSION if e not in {"json", "xml"})
