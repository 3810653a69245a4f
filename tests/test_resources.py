"""Dereferencing graph IRIs: conneg matrix, 404/406/304, descriptions with labels and incoming links."""

from __future__ import annotations

import json
from email.utils import format_datetime, parsedate_to_datetime

import pyoxigraph as ox
import pytest

from support.ldviews import jsonld_triples, parse_body, store_triples

IOP = "https://w3id.org/iopgraph/ontology#"
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
SKOS_PREF = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
CHALLENGE = "https://w3id.org/iopgraph/concept/challenge/defining-the-problem"
MITIGATION = "https://w3id.org/iopgraph/id/mitigation/co-creation-workshops"
INITIATIVE = "https://w3id.org/iopgraph/id/initiative/harbour-data-space"

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

# (Accept header, ?format=, expected media type)
CONNEG = [
    (BROWSER, None, "text/html"),
    (None, None, "text/html"),
    ("*/*", None, "text/html"),
    ("application/ld+json", None, "application/ld+json"),
    ("text/turtle", None, "text/turtle"),
    ("application/n-triples", None, "application/n-triples"),
    ("application/rdf+xml", None, "application/rdf+xml"),
    ("text/turtle;q=0.5, application/ld+json;q=0.9", None, "application/ld+json"),
    ("application/rdf+xml;q=0.2, text/*;q=0.8", None, "text/html"),
    ("text/html;q=0, text/*", None, "text/turtle"),
    ("application/*", None, "application/ld+json"),
    ("image/png, text/turtle;q=0.1", None, "text/turtle"),
    (BROWSER, "ttl", "text/turtle"),
    (BROWSER, "jsonld", "application/ld+json"),
    ("text/turtle", "nt", "application/n-triples"),
    ("text/turtle", "rdf", "application/rdf+xml"),
    ("text/turtle", "html", "text/html"),
]


@pytest.mark.parametrize(("accept", "fmt", "expected"), CONNEG)
def test_conneg_matrix(ld_client, accept, fmt, expected) -> None:
    headers = {"accept": accept} if accept is not None else {}
    params = {"format": fmt} if fmt else {}
    r = ld_client.get("/id/mitigation/co-creation-workshops", headers=headers, params=params)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == expected
    assert "Accept" in r.headers["vary"]
    assert r.headers["etag"].startswith('"')
    assert parsedate_to_datetime(r.headers["last-modified"]).tzinfo is not None
    if expected == "text/html":
        assert "<h1>Co-creation workshops</h1>" in r.text
    elif expected == "application/ld+json":
        assert r.json()["@id"] == MITIGATION
    else:
        triples = parse_body(r.content, expected)
        assert (
            ox.Triple(
                ox.NamedNode(MITIGATION), RDFS_LABEL, ox.Literal("Co-creation workshops", language="en")
            )
            in triples
        )


def test_link_header_lists_the_other_formats(ld_client) -> None:
    r = ld_client.get("/id/mitigation/co-creation-workshops", headers={"accept": "text/turtle"})
    link = r.headers["link"]
    for fmt, media_type in [
        ("html", "text/html"),
        ("jsonld", "application/ld+json"),
        ("nt", "application/n-triples"),
    ]:
        assert (
            f'</id/mitigation/co-creation-workshops?format={fmt}>; rel="alternate"; type="{media_type}"'
            in link
        )
    assert "format=ttl" not in link
    assert r.headers["content-location"] == "/id/mitigation/co-creation-workshops?format=ttl"


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("image/png", None),
        ("application/pdf, image/*", None),
        ("text/html;q=0, application/*;q=0, text/*;q=0", None),
        (None, "pdf"),
        ("text/turtle", "sparql-results"),
    ],
)
def test_unsupported_media_type_is_406_with_the_alternatives(ld_client, accept, fmt) -> None:
    r = ld_client.get(
        "/id/mitigation/co-creation-workshops",
        headers={"accept": accept} if accept else {},
        params={"format": fmt} if fmt else {},
    )
    assert r.status_code == 406
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "not-acceptable"
    assert "text/turtle" in body["detail"] and "application/ld+json" in body["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/id/mitigation/no-such-practice",
        "/concept/challenge/nothing-here",
        "/graph/data/no-such-file",
        "/id/",
    ],
)
def test_iri_not_in_the_graph_is_404(ld_client, path) -> None:
    r = ld_client.get(path, headers={"accept": "text/turtle"})
    assert r.status_code == 404
    assert r.json()["code"] == "resource-not-found"
    assert r.headers["content-type"] == "application/problem+json"


def test_conditional_get_with_etag_and_last_modified(ld_client) -> None:
    url = "/concept/challenge/defining-the-problem"
    first = ld_client.get(url, headers={"accept": "text/turtle"})
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = ld_client.get(url, headers={"accept": "text/turtle", "if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert (
        ld_client.get(url, headers={"accept": "text/turtle", "if-none-match": f'W/{etag}, "x"'}).status_code
        == 304
    )
    assert (
        ld_client.get(url, headers={"accept": "text/turtle", "if-none-match": '"other"'}).status_code == 200
    )
    assert (
        ld_client.get(url, headers={"accept": "text/turtle", "if-modified-since": modified}).status_code
        == 304
    )
    earlier = format_datetime(parsedate_to_datetime(modified).replace(year=2000), usegmt=True)
    assert (
        ld_client.get(url, headers={"accept": "text/turtle", "if-modified-since": earlier}).status_code == 200
    )
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    assert (
        ld_client.get(
            url, headers={"accept": "text/turtle", "if-none-match": '"other"', "if-modified-since": modified}
        ).status_code
        == 200
    )
    # each representation has its own ETag: a Turtle ETag does not validate the JSON-LD
    other = ld_client.get(url, headers={"accept": "application/ld+json", "if-none-match": etag})
    assert other.status_code == 200
    assert other.headers["etag"] != etag


def test_description_holds_outgoing_triples_labels_and_incoming_links(ld_client, ld_store) -> None:
    r = ld_client.get("/concept/challenge/defining-the-problem", headers={"accept": "application/n-triples"})
    triples = parse_body(r.content, "application/n-triples")
    # every outgoing triple of the challenge
    assert store_triples(ld_store, CHALLENGE) <= triples
    # incoming: the mitigations that address it, and the factor under it
    addresses = ox.NamedNode(IOP + "addresses")
    for m in ("co-creation-workshops", "political-sponsorship"):
        assert (
            ox.Triple(
                ox.NamedNode(f"https://w3id.org/iopgraph/id/mitigation/{m}"),
                addresses,
                ox.NamedNode(CHALLENGE),
            )
            in triples
        )
    assert (
        ox.Triple(
            ox.NamedNode("https://w3id.org/iopgraph/concept/challenge/vague-goals"),
            ox.NamedNode("http://www.w3.org/2004/02/skos/core#broader"),
            ox.NamedNode(CHALLENGE),
        )
        in triples
    )
    # labels of what it links to and of what links to it
    assert (
        ox.Triple(
            ox.NamedNode("https://w3id.org/iopgraph/concept/challenge/definition-of-common-objectives"),
            SKOS_PREF,
            ox.Literal("Definition of common objectives", language="en"),
        )
        in triples
    )
    assert (
        ox.Triple(
            ox.NamedNode("https://w3id.org/iopgraph/id/mitigation/political-sponsorship"),
            RDFS_LABEL,
            ox.Literal("Political sponsorship", language="en"),
        )
        in triples
    )
    # nothing that the store does not hold
    assert triples <= store_triples(ld_store)


@pytest.mark.parametrize(
    "path",
    [
        "/concept/challenge/defining-the-problem",
        "/id/mitigation/co-creation-workshops",
        "/id/initiative/harbour-data-space",
        "/concept/challenge",
        "/ontology",
        "/id/statistic/cities-with-a-strategy",
    ],
)
def test_jsonld_expands_to_the_same_triples_as_turtle(ld_client, path) -> None:
    """An independent processor (PyLD, no network) reads back exactly the triples of the Turtle."""
    doc = ld_client.get(path, headers={"accept": "application/ld+json"}).json()
    assert doc["@context"] == "http://testserver/context/v1.jsonld"
    turtle = parse_body(ld_client.get(path, headers={"accept": "text/turtle"}).content, "text/turtle")
    assert jsonld_triples(doc) == turtle


def test_jsonld_uses_readable_keys_and_reverse_terms(ld_client) -> None:
    doc = ld_client.get(
        "/concept/challenge/defining-the-problem", headers={"accept": "application/ld+json"}
    ).json()
    assert doc["@type"] == ["SubChallenge"]
    assert doc["prefLabel"] == "Defining the problem"
    assert {m["@id"] for m in doc["addressedBy"]} == {
        MITIGATION,
        "https://w3id.org/iopgraph/id/mitigation/political-sponsorship",
    }
    assert {m["label"] for m in doc["addressedBy"]} == {"Co-creation workshops", "Political sponsorship"}
    assert doc["broader"][0]["prefLabel"] == "Definition of common objectives"
    assert not any(key.startswith("http") for key in doc)


def test_ontology_and_named_graphs_resolve(ld_client) -> None:
    onto = parse_body(ld_client.get("/ontology", headers={"accept": "text/turtle"}).content, "text/turtle")
    assert (
        ox.Triple(ox.NamedNode(IOP + "Mitigation"), RDFS_LABEL, ox.Literal("mitigation", language="en"))
        in onto
    )
    assert ld_client.get("/ontology/1.0.0", headers={"accept": "text/turtle"}).status_code == 200
    graph = ld_client.get("/graph/data/data", headers={"accept": "application/n-triples"})
    assert graph.status_code == 200
    assert ox.Triple(
        ox.NamedNode(MITIGATION), RDFS_LABEL, ox.Literal("Co-creation workshops", language="en")
    ) in parse_body(graph.content, "application/n-triples")


def test_context_is_served_locally_and_cacheable(ld_client) -> None:
    r = ld_client.get("/context/v1.jsonld")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/ld+json"
    context = r.json()["@context"]
    assert context["addressedBy"] == {"@reverse": "iop:addresses", "@type": "@id", "@container": "@set"}
    assert "max-age" in r.headers["cache-control"]
    assert (
        ld_client.get("/context/v1.jsonld", headers={"if-none-match": r.headers["etag"]}).status_code == 304
    )
    # every term of the context expands to an absolute IRI (no remote context, no relative terms)
    prefixes = {k: v for k, v in context.items() if isinstance(v, str) and v.endswith(("#", "/"))}
    for term, definition in context.items():
        if term.startswith("@") or term in prefixes:
            continue
        target = (
            definition if isinstance(definition, str) else definition.get("@id") or definition["@reverse"]
        )
        prefix, _, _ = target.partition(":")
        assert prefix in prefixes, f"{term} → {target}"


def test_html_page_links_graph_iris_to_local_pages_and_embeds_jsonld(ld_client) -> None:
    html = ld_client.get("/id/mitigation/co-creation-workshops", headers={"accept": "text/html"}).text
    assert 'href="/concept/challenge/defining-the-problem"' in html
    assert 'href="/id/initiative/harbour-data-space"' in html
    assert 'href="/id/report/d06-02/section/3-1"' in html
    assert 'href="/id/report/d06-02/box/3-1-how-to-co-create"' in html
    assert "https://w3id.org/iopgraph/id/mitigation/co-creation-workshops" in html  # the IRI is shown
    start = html.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
    embedded = json.loads(html[start : html.index("</script>", start)])
    assert embedded["@id"] == MITIGATION
    assert (
        '<link rel="alternate" type="text/turtle" href="/id/mitigation/co-creation-workshops?format=ttl">'
        in html
    )


def test_challenge_page_shows_the_mitigations_that_address_it(ld_client) -> None:
    html = ld_client.get("/concept/challenge/defining-the-problem").text
    assert "Mitigations and good practices that address this" in html
    assert '<a href="/id/mitigation/political-sponsorship">Political sponsorship</a>' in html
    assert '<a href="/concept/challenge/vague-goals">Vague goals</a>' in html
