"""Result formats of the SPARQL endpoint: which media types each query form can be served in.

SELECT and ASK give SPARQL results (JSON, XML, CSV, TSV); CONSTRUCT and DESCRIBE
give RDF in any syntax. Both offer sets live in the representation registry
(:mod:`iopgraph.core.media_types`); the first offer of each is the default for
``Accept: */*``.
"""

from __future__ import annotations

import pyoxigraph as ox

from iopgraph.core.media_types import (
    REPRESENTATIONS,
    RESULT_MEDIA_ALIASES,
    SPARQL_GRAPH_OFFERS,
    SPARQL_RESULTS_OFFERS,
    syntax_for_media_type,
)

#: SPARQL results media types → pyoxigraph formats, in the server's order of preference.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    r.media_type: r.results for r in REPRESENTATIONS if r.results is not None
}


def offers_for(form: str) -> list[str]:
    """The media types a query of ``form`` can be served in, preferred first."""
    return list(SPARQL_RESULTS_OFFERS if form in ("SELECT", "ASK") else SPARQL_GRAPH_OFFERS)


def canonical(media_type: str) -> str:
    """The media type that names the format (``application/json`` → SPARQL JSON results)."""
    if media_type in RESULT_MEDIA_ALIASES:
        return RESULT_MEDIA_ALIASES[media_type]
    syntax = syntax_for_media_type(media_type)
    return syntax.media_type if syntax else media_type


def content_type(media_type: str) -> str:
    """The Content-Type header for a result in ``media_type`` (text, JSON and XML types get a charset)."""
    if media_type.startswith("text/") or media_type.endswith("+json") or media_type.endswith("+xml"):
        return f"{media_type}; charset=utf-8"
    return media_type
