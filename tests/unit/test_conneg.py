"""Content negotiation over the representation registry, as a table.

Each row is (offer set, Accept, ?format=, expected media type or None for 406). The
derived rows walk every offer set of :mod:`iopgraph.core.media_types`: each offer
asked for by its media type and by the ``?format=`` name its links use, ``*/*`` and
no header giving the first offer, a type or name the view does not have giving 406.
The hand-written rows are the edge cases: q-values, wildcards, specificity, malformed
headers, the meaning of ``json`` and ``xml`` per kind of view.
"""

from __future__ import annotations

import pytest

from iopgraph.core.conneg import MAX_ACCEPT_BYTES, AcceptTooLarge, NotAcceptable, negotiate
from iopgraph.core.media_types import (
    CSV,
    HTML,
    JSON,
    JSONLD,
    N_QUADS,
    N_TRIPLES,
    OFFER_SETS,
    PROBLEM,
    RDF_XML,
    REPRESENTATIONS,
    RESULTS_JSON,
    RESULTS_XML,
    SPARQL_QUERY,
    TEXT,
    TRIG,
    TSV,
    TURTLE,
    XML,
    format_name,
    format_names,
    format_offer,
    label,
    representation,
)
from iopgraph.query.formats import canonical, offers_for

Row = tuple[str, str | None, str | None, str | None]


def _derived() -> list[Row]:
    rows: list[Row] = []
    for name, offers in OFFER_SETS.items():
        rows += [(name, None, None, offers[0]), (name, "*/*", None, offers[0]), (name, "", None, offers[0])]
        rows.append((name, "image/png", None, None))
        rows.append((name, None, "image/png", None))
        for offer in offers:
            rows.append((name, offer, None, offer))
            rows.append((name, None, offer, offer))  # a media type as ?format= stands for itself
            short = format_name(offer, offers)
            if short is not None:
                rows.append((name, "image/png", short, offer))  # ?format= wins over Accept
                rows.append((name, None, short.upper(), offer))
        for short in sorted(format_names()):
            if not any(short in r.names for r in REPRESENTATIONS if r.media_type in offers):
                rows.append((name, None, short, None))
    return rows


HAND_WRITTEN: list[Row] = [
    # q-values: the highest q wins, whatever the order in the header
    ("resource", "text/turtle;q=0.9, application/ld+json", None, JSONLD),
    ("resource", "application/ld+json;q=0.2, text/turtle;q=0.8", None, TURTLE),
    ("resource", "text/turtle; q=1.0, application/rdf+xml; Q=0.5", None, TURTLE),
    # equal q: the server's order decides (HTML first on a resource, Turtle first on the store)
    ("resource", "text/turtle, text/html", None, HTML),
    ("store-graph", "application/ld+json, text/turtle", None, TURTLE),
    # q=0 refuses a type; refusing everything offered is 406
    ("resource", "text/html;q=0, */*", None, JSONLD),
    ("store-dataset", "application/trig;q=0, application/n-quads;q=0", None, None),
    ("store-dataset", "application/trig;q=0", None, None),
    # the most specific range decides an offer's q (RFC 9110 §12.5.1)
    ("resource", "text/*;q=0.1, text/turtle", None, TURTLE),
    ("resource", "*/*;q=0.1, text/html;q=0", None, JSONLD),
    ("catalog", "text/*", None, TURTLE),
    ("catalog", "application/*", None, JSONLD),
    ("ldes", "application/*;q=0.5, text/html", None, HTML),
    ("store-dataset", "text/*", None, None),
    # a bare * is */*; malformed parts are skipped; a bad q counts as 0
    ("store-graph", "*", None, TURTLE),
    ("store-graph", "garbage, application/rdf+xml", None, RDF_XML),
    ("store-graph", "*/turtle, application/n-triples", None, N_TRIPLES),
    ("store-graph", "application/rdf+xml;q=high, application/n-triples;q=0.1", None, N_TRIPLES),
    ("store-graph", "garbage", None, None),
    ("store-graph", "text/turtle;q=5", None, TURTLE),  # clamped to 1
    ("resource", "TEXT/TURTLE", None, TURTLE),  # media types are case-insensitive
    # a browser's header: HTML where there is a page, the first offer where there is none
    ("resource", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, HTML),
    ("jsonld-view", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, JSONLD),
    ("problem", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, HTML),
    ("problem", "*/*", None, PROBLEM),
    ("problem", "application/json, text/html;q=0.9", None, JSON),
    # plain JSON: asked for by Accept, it is served as itself where a view offers it
    ("jsonld-view", "application/json", None, JSON),
    ("resource", "application/json", None, JSON),
    ("catalog", "application/json", None, None),
    ("sparql-results", "application/json", None, JSON),  # answered as SPARQL JSON (canonical)
    # ?format=json: the first JSON offer of the view
    ("jsonld-view", None, "json", JSONLD),
    ("jsonld", None, "json", JSONLD),
    ("resource", None, "json", JSONLD),
    ("catalog", None, "json", JSONLD),
    ("ldes", None, "json", JSONLD),
    ("store-graph", None, "json", JSONLD),
    ("description", None, "json", JSONLD),
    ("report", None, "json", JSON),
    ("sparql-results", None, "json", RESULTS_JSON),
    ("sparql-graph", None, "json", JSONLD),
    ("store-dataset", None, "json", None),
    ("shapes", None, "json", None),
    # ?format=xml: SPARQL XML results for SELECT/ASK, RDF/XML for graphs
    ("sparql-results", None, "xml", RESULTS_XML),
    ("sparql-graph", None, "xml", RDF_XML),
    ("resource", None, "xml", RDF_XML),
    ("jsonld-view", None, "xml", None),
    # other names and their spellings
    ("sparql-results", None, "csv", CSV),
    ("sparql-results", None, " TSV ", TSV),
    ("sparql-results", None, "srj", RESULTS_JSON),
    ("sparql-graph", None, "n3", TURTLE),
    ("sparql-graph", None, "nquads", N_QUADS),
    ("sparql-graph", None, "trig", TRIG),
    ("sparql-graph", None, "text/plain", TEXT),
    ("resource", None, "rdf+xml", RDF_XML),
    ("resource", None, "json-ld", JSONLD),
    ("resource", None, "html", HTML),
    ("jsonld-view", None, "html", None),
    ("sparql-results", None, "ttl", None),
    ("resource", None, "nosuchformat", None),
    ("resource", None, "text/plain", None),
    # ?format= wins over an Accept that would have given something else, or nothing
    ("resource", "text/html", "ttl", TURTLE),
    ("jsonld-view", "image/png", "jsonld", JSONLD),
]


@pytest.mark.parametrize(("offer_set", "accept", "fmt", "expected"), _derived() + HAND_WRITTEN)
def test_negotiate(offer_set: str, accept: str | None, fmt: str | None, expected: str | None) -> None:
    offers = OFFER_SETS[offer_set]
    if expected is None:
        with pytest.raises(NotAcceptable) as refused:
            negotiate(accept, offers, fmt)
        assert refused.value.status == 406 and refused.value.code == "not-acceptable"
        assert refused.value.offers == list(offers)
        assert ", ".join(offers) in refused.value.message  # the 406 says what is available
    else:
        assert negotiate(accept, offers, fmt) == expected


@pytest.mark.parametrize("offer_set", sorted(OFFER_SETS))
def test_every_link_name_leads_back_to_its_media_type(offer_set: str) -> None:
    offers = OFFER_SETS[offer_set]
    for offer in offers:
        assert representation(offer) is not None, f"{offer} is not in the registry"
        short = format_name(offer, offers)
        if short is not None:
            assert format_offer(short, offers) == offer


def test_every_offer_set_has_distinct_offers() -> None:
    for name, offers in OFFER_SETS.items():
        assert len(set(offers)) == len(offers), name


def test_each_media_type_is_registered_once_and_names_are_lower_case() -> None:
    types = [r.media_type for r in REPRESENTATIONS]
    assert len(types) == len(set(types))
    for r in REPRESENTATIONS:
        assert r.media_type == r.media_type.lower() and all(n == n.lower() for n in r.names)


def test_plain_json_has_no_link_name_where_json_ld_comes_first() -> None:
    assert format_name(JSON, OFFER_SETS["resource"]) is None
    assert format_name(JSON, OFFER_SETS["report"]) == "json"
    assert format_name(JSONLD, OFFER_SETS["resource"]) == "jsonld"


def test_labels() -> None:
    assert (
        label(TURTLE) == "Turtle"
        and label(RDF_XML) == "RDF/XML"
        and label("text/turtle; charset=utf-8") == "Turtle"
    )
    assert label("image/png") == "image/png"


def test_sparql_offers_come_from_the_registry() -> None:
    assert offers_for("SELECT") == list(OFFER_SETS["sparql-results"])
    assert offers_for("ASK") == list(OFFER_SETS["sparql-results"])
    assert offers_for("CONSTRUCT") == offers_for("DESCRIBE") == list(OFFER_SETS["sparql-graph"])
    assert canonical(JSON) == RESULTS_JSON and canonical(XML) == RESULTS_XML and canonical(TEXT) == N_TRIPLES
    assert canonical(TURTLE) == TURTLE


def test_the_query_text_is_named_sparql() -> None:
    offers = [*offers_for("SELECT"), SPARQL_QUERY]
    assert negotiate(None, offers, "sparql") == SPARQL_QUERY
    assert negotiate(SPARQL_QUERY, offers) == SPARQL_QUERY
    assert negotiate(None, offers) == RESULTS_JSON


def test_an_oversized_accept_header_is_refused_before_parsing() -> None:
    with pytest.raises(AcceptTooLarge) as refused:
        negotiate("text/turtle," * (MAX_ACCEPT_BYTES // 12 + 1), OFFER_SETS["resource"])
    assert refused.value.status == 431
    at_limit = ("text/turtle, " * MAX_ACCEPT_BYTES)[: MAX_ACCEPT_BYTES - len("text/turtle")] + "text/turtle"
    assert len(at_limit) == MAX_ACCEPT_BYTES
    assert negotiate(at_limit, OFFER_SETS["resource"]) == TURTLE
