"""Unit tests of iopgraph.query.formats: which media types each SPARQL query form is offered in."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from iopgraph.core.media_types import (
    CSV,
    RDF_SYNTAXES,
    RESULT_MEDIA_ALIASES,
    RESULTS_JSON,
    RESULTS_XML,
    SPARQL_GRAPH_OFFERS,
    TEXT,
    TSV,
)
from iopgraph.query.formats import RESULT_FORMATS, canonical, content_type, offers_for


@pytest.mark.parametrize("form", ["SELECT", "ASK"])
def test_results_forms_are_offered_the_four_result_formats_json_first(form: str) -> None:
    offers = offers_for(form)
    assert offers[0] == RESULTS_JSON  # the default for Accept: */*
    assert offers[:4] == [RESULTS_JSON, RESULTS_XML, CSV, TSV]
    assert set(offers[4:]) == {"application/json", "application/xml", "text/xml"}
    assert "text/turtle" not in offers


@pytest.mark.parametrize("form", ["CONSTRUCT", "DESCRIBE"])
def test_graph_forms_are_offered_every_rdf_syntax_turtle_first(form: str) -> None:
    offers = offers_for(form)
    assert offers[0] == "text/turtle"
    assert offers == [*(s.media_type for s in RDF_SYNTAXES), "text/plain"]
    assert RESULTS_JSON not in offers and CSV not in offers


def test_each_result_media_type_has_the_pyoxigraph_format_of_its_name() -> None:
    assert RESULT_FORMATS == {
        RESULTS_JSON: ox.QueryResultsFormat.JSON,
        RESULTS_XML: ox.QueryResultsFormat.XML,
        CSV: ox.QueryResultsFormat.CSV,
        TSV: ox.QueryResultsFormat.TSV,
    }
    assert list(SPARQL_GRAPH_OFFERS) == [*(s.media_type for s in RDF_SYNTAXES), TEXT]


@pytest.mark.parametrize(
    ("asked", "named"),
    [
        ("application/json", RESULTS_JSON),
        ("application/xml", RESULTS_XML),
        ("text/xml", RESULTS_XML),
        (RESULTS_JSON, RESULTS_JSON),
        (CSV, CSV),
        ("application/x-turtle", "text/turtle"),  # an RDF alias names its syntax
        ("text/plain", "application/n-triples"),
        ("text/turtle", "text/turtle"),
        ("application/unknown", "application/unknown"),  # unknown types pass through unchanged
    ],
)
def test_canonical_names_the_format(asked: str, named: str) -> None:
    assert canonical(asked) == named


def test_every_result_alias_is_canonical_to_a_result_format() -> None:
    assert all(canonical(alias) in RESULT_FORMATS for alias in RESULT_MEDIA_ALIASES)


@pytest.mark.parametrize(
    ("media_type", "header"),
    [
        ("text/turtle", "text/turtle; charset=utf-8"),
        (CSV, "text/csv; charset=utf-8"),
        (RESULTS_JSON, "application/sparql-results+json; charset=utf-8"),
        (RESULTS_XML, "application/sparql-results+xml; charset=utf-8"),
        ("application/ld+json", "application/ld+json; charset=utf-8"),
        ("application/rdf+xml", "application/rdf+xml; charset=utf-8"),
        ("application/n-triples", "application/n-triples"),  # not text/, +json or +xml: no charset
        ("application/n-quads", "application/n-quads"),
        ("application/trig", "application/trig"),
    ],
)
def test_content_type_adds_a_charset_to_text_types_only(media_type: str, header: str) -> None:
    assert content_type(media_type) == header
