"""Conditional GET on the real `iopgraph serve`: every kind of GET sends its ETag back and gets 304,
a second plain GET gets the same bytes (the representation cache), and after an accepted write each
gets 200 with a new ETag and the new content (issue 12 item 4, issue 13 item 1)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.project import build_project
from support.reliability import TOKEN
from support.server import ServerProcess

AUTH = {"Authorization": f"Bearer {TOKEN}"}
HARBOUR = "https://w3id.org/iopgraph/id/initiative/harbour-data-space"
NEW_TEXT = "A note added by a steward after the first visit."
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
QUERY = f"SELECT ?note WHERE {{ <{HARBOUR}> <{COMMENT}> ?note }}"
#: An accepted write: a steward graph of its own with one more statement about the initiative.
STEWARD_GRAPH = "https://w3id.org/iopgraph/graph/contrib/conditional-test"
WRITE = f'<{HARBOUR}> <{COMMENT}> "{NEW_TEXT}"@en .\n'

#: (what, path, query parameters, Accept, the content shows the statement the write adds,
#:  served from the representation cache: the views; SPARQL has its result cache, LDES its own versions)
GETS: list[tuple[str, str, dict[str, str], str, bool, bool]] = [
    ("resource page", "/id/initiative/harbour-data-space", {}, "text/html", True, True),
    ("resource as Turtle", "/id/initiative/harbour-data-space", {}, "text/turtle", True, True),
    ("collection", "/api/initiatives", {}, "application/ld+json", False, True),
    ("list page", "/initiatives", {}, "text/html", False, True),
    ("challenge tree", "/challenges", {}, "text/html", False, True),
    ("matrix", "/matrix", {}, "text/html", False, True),
    ("SPARQL GET", "/sparql", {"query": QUERY}, "application/sparql-results+json", True, False),
    ("named query", "/api/queries/use-cases", {}, "application/sparql-results+json", False, False),
    ("dump", "/dumps/iopgraph.nt", {}, "application/n-triples", True, True),
    ("LDES feed", "/ldes", {}, "text/turtle", False, False),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("conditional-live")
    env = {
        "IOPGRAPH_ROOT": str(build_project(folder)),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_QUERY_TIMEOUT": "60",
    }
    with ServerProcess(folder, env) as running:
        running.wait_until("/readyz", 120)
        yield running


def page_cache_hits(server: ServerProcess) -> float:
    text = httpx.get(server.url + "/metrics", timeout=30).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "iopgraph_page_cache_hits_total":
                return float(sample.value)
    raise AssertionError("/metrics has no iopgraph_page_cache_hits_total")


def get(
    server: ServerProcess, path: str, params: dict[str, str], accept: str, **headers: str
) -> httpx.Response:
    return httpx.get(
        server.url + path,
        params=params,
        headers={"Accept": accept, "Accept-Encoding": "identity", **headers},
        timeout=60,
    )


def test_every_kind_of_get_is_304_with_its_etag_then_200_with_a_new_one_after_a_write(
    server: ServerProcess,
) -> None:
    before: dict[str, httpx.Response] = {}
    for what, path, params, accept, _, cached in GETS:
        first = get(server, path, params, accept)
        assert first.status_code == 200, (what, first.text[:300])
        etag = first.headers["etag"]
        before[what] = first
        # a second plain GET: the same representation, byte for byte (served from the cache for views)
        hits = page_cache_hits(server)
        second = get(server, path, params, accept)
        assert (second.status_code, second.headers["etag"], second.content) == (200, etag, first.content), (
            what
        )
        assert page_cache_hits(server) - hits == (1 if cached else 0), what
        # the ETag sent back: 304, no body, the validators and cache headers of the 200
        again = get(server, path, params, accept, **{"If-None-Match": etag})
        assert again.status_code == 304, what
        assert again.content == b"", what
        for name in ("etag", "vary", "cache-control", "last-modified", "content-location"):
            assert again.headers.get(name) == first.headers.get(name), (what, name)
        # the weak form and a list work too (weak comparison, RFC 9110 §13.1.2)
        weak_list = f'"nope", W/{etag.removeprefix("W/")}'
        assert get(server, path, params, accept, **{"If-None-Match": weak_list}).status_code == 304, what
        assert get(server, path, params, accept, **{"If-None-Match": '"nope"'}).status_code == 200, what
        assert NEW_TEXT not in first.text, what
    assert before["resource as Turtle"].headers["content-location"].endswith("?format=ttl")

    write = httpx.put(
        server.url + "/store",
        params={"graph": STEWARD_GRAPH},
        content=WRITE,
        headers={"Content-Type": "application/n-triples", **AUTH},
        timeout=120,
    )
    assert write.status_code == 201, write.text[:500]

    for what, path, params, accept, shows_change, _ in GETS:
        old = before[what]
        after = get(server, path, params, accept, **{"If-None-Match": old.headers["etag"]})
        assert after.status_code == 200, (what, after.status_code)
        assert after.headers["etag"] != old.headers["etag"], what
        if shows_change:  # the cache kept nothing from before the write
            assert NEW_TEXT in after.text, what
        assert (
            get(server, path, params, accept, **{"If-None-Match": after.headers["etag"]}).status_code == 304
        )


def test_a_post_query_is_never_304(server: ServerProcess) -> None:
    first = get(server, "/sparql", {"query": QUERY}, "application/sparql-results+json")
    posted = httpx.post(
        server.url + "/sparql",
        data={"query": QUERY},
        headers={"Accept": "application/sparql-results+json", "If-None-Match": first.headers["etag"]},
        timeout=60,
    )
    assert posted.status_code == 200
    assert posted.headers["etag"] == first.headers["etag"]  # one ETag for the query, whatever the method


def test_errors_are_not_cached_and_star_does_not_hide_a_404(server: ServerProcess) -> None:
    missing = "/id/initiative/no-such-initiative"
    for _ in range(2):
        r = get(server, missing, {}, "text/turtle")
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
    assert get(server, missing, {}, "text/turtle", **{"If-None-Match": "*"}).status_code == 404
    present = "/id/initiative/harbour-data-space"
    assert get(server, present, {}, "text/turtle", **{"If-None-Match": "*"}).status_code == 304


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/api/queries", "application/json"),
        ("/docs/assets/swagger-ui.css", "text/css"),
        ("/static/style.css", "text/css"),
        ("/context/v1.jsonld", "application/ld+json"),
        ("/sparql", "text/turtle"),  # the service description
        ("/shapes", "text/turtle"),
    ],
)
def test_files_descriptions_and_the_query_list_use_the_same_conditional_get(
    server: ServerProcess, path: str, accept: str
) -> None:
    first = get(server, path, {}, accept)
    assert first.status_code == 200, first.text[:300]
    assert first.headers["etag"].startswith('"')  # the views' strong ETags
    again = get(server, path, {}, accept, **{"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    since = get(server, path, {}, accept, **{"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
