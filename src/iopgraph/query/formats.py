"""Result formats of the SPARQL endpoint: which media types each query form can be served in.

SELECT and ASK give SPARQL results (JSON, XML, CSV, TSV); CONSTRUCT and DESCRIBE
give RDF in any syntax of :mod:`iopgraph.core.media_types`. The first offer of each
list is the default for ``Accept: */*``.
"""

from __future__ import annotations

import pyoxigraph as ox

from iopgraph.core.media_types import RDF_SYNTAXES, syntax_for_media_type

RESULTS_JSON = "application/sparql-results+json"
RESULTS_XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"

#: SPARQL results media types → pyoxigraph formats, in the server's order of preference.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    RESULTS_JSON: ox.QueryResultsFormat.JSON,
    RESULTS_XML: ox.QueryResultsFormat.XML,
    CSV: ox.QueryResultsFormat.CSV,
    TSV: ox.QueryResultsFormat.TSV,
}

#: Aliases clients send for SPARQL results (e.g. ``application/json``, ``application/xml``).
RESULT_ALIASES: dict[str, str] = {
    "application/json": RESULTS_JSON,
    "application/xml": RESULTS_XML,
    "text/xml": RESULTS_XML,
}

#: RDF media types for CONSTRUCT/DESCRIBE, Turtle first.
GRAPH_MEDIA_TYPES: list[str] = [s.media_type for s in RDF_SYNTAXES]


def offers_for(form: str) -> list[str]:
    """The media types a query of ``form`` can be served in, preferred first."""
    if form in ("SELECT", "ASK"):
        return [*RESULT_FORMATS, *RESULT_ALIASES]
    return [*GRAPH_MEDIA_TYPES, "text/plain"]


def canonical(media_type: str) -> str:
    """The media type that names the format (``application/json`` → SPARQL JSON results)."""
    if media_type in RESULT_ALIASES:
        return RESULT_ALIASES[media_type]
    syntax = syntax_for_media_type(media_type)
    return syntax.media_type if syntax else media_type


def content_type(media_type: str) -> str:
    """The Content-Type header for a result in ``media_type`` (text types get a charset)."""
    if media_type.startswith("text/") or media_type.endswith("+json") or media_type.endswith("+xml"):
        return f"{media_type}; charset=utf-8"
    return media_type
