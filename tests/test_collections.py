"""Framed, paged JSON-LD collections: Hydra paging, filters, and a PyLD round trip against the store."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from support.ldviews import jsonld_triples, parse_body, store_triples

HYDRA = "http://www.w3.org/ns/hydra/core#"
ID = "https://w3id.org/iopgraph/id/"
CH = "https://w3id.org/iopgraph/concept/challenge/"

URLS = [
    "/api/challenges",
    "/api/challenges?family=cultural-interoperability",
    "/api/challenges?level=sub-challenge&element=cultural",
    "/api/mitigations",
    "/api/mitigations?challenge=definition-of-common-objectives&type=good-practice",
    "/api/initiatives",
    "/api/initiatives?use-case=true",
    "/api/organisations",
    "/api/organisations?initiative=river-twin",
    "/api/recommendations",
    "/api/statistics",
    "/api/statistics?challenge=organisational-interoperability&limit=1&page=2",
]


def _members(client, url: str) -> list[str]:
    return [m["@id"] for m in client.get(url).json()["member"]]


@pytest.mark.parametrize("url", URLS)
def test_jsonld_of_every_collection_page_round_trips(ld_client, ld_store, url) -> None:
    """PyLD (no network but our context) expands each page to exactly the triples of its Turtle;
    everything but the paging metadata is held by the store, and every member comes with all its triples."""
    r = ld_client.get(url, headers={"accept": "application/ld+json"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/ld+json"
    doc = r.json()
    expanded = jsonld_triples(doc)
    turtle = parse_body(ld_client.get(url, headers={"accept": "text/turtle"}).content, "text/turtle")
    assert expanded == turtle
    paging_nodes = {ox.NamedNode(doc["@id"]), ox.NamedNode(doc["view"]["@id"])}
    data = {t for t in expanded if t.subject not in paging_nodes}
    assert data <= store_triples(ld_store)
    for member in doc["member"]:
        assert store_triples(ld_store, member["@id"]) <= data, member["@id"]
        assert (
            ox.Triple(ox.NamedNode(doc["@id"]), ox.NamedNode(HYDRA + "member"), ox.NamedNode(member["@id"]))
            in expanded
        )


def test_challenges_come_as_a_tree_with_their_mitigations(ld_client) -> None:
    doc = ld_client.get("/api/challenges").json()
    assert doc["@type"] == ["Collection"]
    assert doc["totalItems"] == 7
    order = [m["@id"].removeprefix(CH) for m in doc["member"]]
    # depth-first along skos:broader, in report order
    assert order == [
        "organisational-interoperability",
        "definition-of-common-objectives",
        "defining-the-problem",
        "vague-goals",
        "user-participation",
        "cultural-interoperability",
        "resistance-to-change",
    ]
    problem = doc["member"][2]
    assert problem["broader"] == [{"@id": CH + "definition-of-common-objectives"}]
    assert [n["@id"] for n in problem["narrower"]] == [CH + "vague-goals"]
    assert {(m["@id"].removeprefix(ID), m["label"]) for m in problem["addressedBy"]} == {
        ("mitigation/co-creation-workshops", "Co-creation workshops"),
        ("mitigation/political-sponsorship", "Political sponsorship"),
    }
    cluster = doc["member"][1]
    assert [s["label"] for s in cluster["evidencedBy"]] == ["64% of European cities have a strategy"]


def test_initiatives_embed_organisations_and_roles(ld_client) -> None:
    doc = ld_client.get("/api/initiatives?use-case=true").json()
    assert [m["@id"].removeprefix(ID) for m in doc["member"]] == [
        "initiative/harbour-data-space",
        "initiative/river-twin",
    ]
    harbour = doc["member"][0]
    roles = {(p["participant"][0]["label"], p["role"][0]["prefLabel"]) for p in harbour["participations"]}
    assert roles == {("Harbour City Council", "Lead organisation"), ("Data Company", "Data provider")}
    assert harbour["isUseCase"] is True
    assert harbour["startYear"] == "2019"
    assert [m["label"] for m in harbour["illustrates"]] == ["Co-creation workshops"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/api/challenges?family=cultural-interoperability",
            ["concept/challenge/cultural-interoperability", "concept/challenge/resistance-to-change"],
        ),
        ("/api/challenges?level=factor", ["concept/challenge/vague-goals"]),
        (
            "/api/challenges?broader=definition-of-common-objectives",
            [
                "concept/challenge/defining-the-problem",
                "concept/challenge/vague-goals",
                "concept/challenge/user-participation",
            ],
        ),
        ("/api/challenges?observed-in=harbour-data-space", ["concept/challenge/defining-the-problem"]),
        ("/api/challenges?element=cultural&level=sub-challenge", ["concept/challenge/user-participation"]),
        (
            f"/api/challenges?family={CH}organisational-interoperability&level=family",
            ["concept/challenge/organisational-interoperability"],
        ),
        (
            "/api/mitigations?challenge=defining-the-problem",
            ["mitigation/co-creation-workshops", "mitigation/political-sponsorship"],
        ),
        ("/api/mitigations?initiative=river-twin", ["mitigation/change-champions"]),
        (
            "/api/mitigations?recommendation=eif4scc-r1&recommendation=eif4scc-r2",
            ["mitigation/change-champions"],
        ),
        ("/api/mitigations?type=mitigation", ["mitigation/political-sponsorship"]),
        ("/api/mitigations?evidence-basis=literature", ["mitigation/political-sponsorship"]),
        ("/api/initiatives?type=local-digital-twin", ["initiative/river-twin"]),
        ("/api/initiatives?use-case=false", ["initiative/old-portal"]),
        (
            "/api/initiatives?organisation=data-company",
            ["initiative/harbour-data-space", "initiative/river-twin"],
        ),
        ("/api/organisations?role=lead", ["organisation/harbour-city-council"]),
        ("/api/organisations?sector=business", ["organisation/data-company"]),
        ("/api/recommendations", ["recommendation/eif4scc-r1", "recommendation/eif4scc-r2"]),
        ("/api/recommendations?challenge=defining-the-problem", ["recommendation/eif4scc-r1"]),
        ("/api/statistics?challenge=user-participation", ["statistic/residents-consulted"]),
        (
            "/api/statistics?area=europe&unit=percent",
            ["statistic/residents-consulted", "statistic/cities-with-a-strategy"],
        ),
        ("/api/statistics?area=world", []),
    ],
)
def test_filters(ld_client, url, expected) -> None:
    ids = _members(ld_client, url)
    assert [i.removeprefix(ID).removeprefix("https://w3id.org/iopgraph/") for i in ids] == expected
    assert ld_client.get(url).json()["totalItems"] == len(expected)


def test_paging_follows_hydra_links_through_every_member(ld_client) -> None:
    everything = _members(ld_client, "/api/challenges")
    url: str | None = "http://testserver/api/challenges?limit=3"
    seen, pages = [], 0
    while url:
        r = ld_client.get(url)
        doc = r.json()
        view = doc["view"]
        assert doc["@id"] == "http://testserver/api/challenges?limit=3"
        assert view["first"] == "http://testserver/api/challenges?limit=3&page=1"
        assert view["last"] == "http://testserver/api/challenges?limit=3&page=3"
        assert ('rel="next"' in r.headers["link"]) == ("next" in view)
        assert ("previous" in view) == (pages > 0)
        seen += [m["@id"] for m in doc["member"]]
        url = view.get("next")
        pages += 1
    assert pages == 3
    assert seen == everything


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/challenges?familly=cultural-interoperability", 400, "invalid-parameter"),
        ("/api/challenges?family=Not A Slug", 400, "invalid-parameter"),
        ("/api/challenges?family=http://bad iri", 400, "invalid-parameter"),
        ("/api/challenges?level=galaxy", 400, "invalid-parameter"),
        ("/api/initiatives?use-case=maybe", 400, "invalid-parameter"),
        ("/api/challenges?limit=0", 400, "invalid-parameter"),
        ("/api/challenges?limit=1000", 400, "invalid-parameter"),
        ("/api/challenges?page=zero", 400, "invalid-parameter"),
        ("/api/challenges?page=99", 404, "resource-not-found"),
        ("/api/challenges?format=xml", 406, "not-acceptable"),
    ],
)
def test_bad_requests_get_a_clear_problem(ld_client, url, status, code) -> None:
    r = ld_client.get(url)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == code


def test_collections_are_cacheable(ld_client) -> None:
    r = ld_client.get("/api/mitigations")
    assert r.headers["vary"] == "Accept"
    assert ld_client.get("/api/mitigations", headers={"if-none-match": r.headers["etag"]}).status_code == 304
    assert (
        ld_client.get(
            "/api/mitigations?type=mitigation", headers={"if-none-match": r.headers["etag"]}
        ).status_code
        == 200
    )
    assert (
        ld_client.get(
            "/api/mitigations", headers={"if-modified-since": r.headers["last-modified"]}
        ).status_code
        == 304
    )


def test_application_json_points_at_the_context(ld_client) -> None:
    r = ld_client.get("/api/statistics", headers={"accept": "application/json"})
    assert r.headers["content-type"] == "application/json"
    assert (
        '<http://testserver/context/v1.jsonld>; rel="http://www.w3.org/ns/json-ld#context"'
        in r.headers["link"]
    )
    stat = r.json()["member"][1]
    assert stat["value"] == "64" and stat["comparisonValue"] == "50.5"  # xsd:decimal, canonical form
    assert stat["area"][0]["label"] == "Europe" and stat["comparisonArea"][0]["label"] == "World"
