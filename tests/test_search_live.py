"""Search against a real `iopgraph serve` on the shipped graph (issue 14, "Done when").

* every resource is found by its exact label (first hit, or among the equal labels leading the list)
  and by the rarest word of its definition (first page); both computed here from the store;
* hostile queries get a specific answer and leave the server up;
* a steward's new initiative (PUT through the API) is found right after the 201; a rejected write (422)
  is never found; a restart with the index file removed rebuilds it from the store.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from iopgraph.core.namespaces import ONTOLOGY, PREFIXES
from support.clients import http_client
from support.paths import ROOT
from support.server import serve

TOKEN = "search-steward-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLE = ROOT / "docs" / "examples" / "new-initiative.ttl"
NEW = "https://w3id.org/iopgraph/id/initiative/helsinki-district-digital-twins"
GRAPH = "https://w3id.org/iopgraph/graph/contrib/helsinki-district-digital-twins"
#: A shape violation (a city that is not in the graph) under a name found nowhere else.
REJECTED = (
    EXAMPLE.read_text(encoding="utf-8")
    .replace("iop:city place:helsinki", "iop:city place:atlantis")
    .replace("Helsinki district digital twins", "Qwertyville district twins")
)
LABELS = (
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://purl.org/dc/terms/title",
    "http://xmlns.com/foaf/0.1/name",
)
DEFINITIONS = ("http://www.w3.org/2004/02/skos/core#definition", "http://purl.org/dc/terms/description")
LABEL_KEYS = ("prefLabel", "label", "title", "name")
WORD = re.compile(r"[^\W\d_]{4,}")


def english(literal: ox.Literal) -> bool:
    return literal.language in (None, "en")


def primary_labels(store: ox.Store) -> dict[str, str]:
    """Each IRI subject's label: the first label property it has (prefLabel, label, title, name)."""
    found: dict[str, tuple[int, str]] = {}
    for rank, predicate in enumerate(LABELS):
        for q in store.quads_for_pattern(None, ox.NamedNode(predicate), None):
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal) and english(q.object):
                value = " ".join(q.object.value.split())
                key = (rank, value)
                if q.subject.value not in found or key < found[q.subject.value]:
                    found[q.subject.value] = key
    return {iri: value for iri, (_, value) in found.items()}


def local(url: str) -> str:
    """The path and query of a URL the service wrote with its configured base URL."""
    parsed = httpx.URL(url)
    return parsed.raw_path.decode()


def label_of(member: dict) -> str:  # type: ignore[type-arg]
    return next(member[k] for k in LABEL_KEYS if k in member)


@pytest.fixture(scope="module")
def store_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("search-live")


def env_for(folder: Path) -> dict[str, str]:
    return {
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_QUERY_WORKERS": "1",
    }


@pytest.fixture(scope="module")
def client(store_folder: Path) -> Iterator[httpx.Client]:
    with serve([], env_for(store_folder), timeout=120) as base, http_client(base) as c:
        yield c


def search(client: httpx.Client, q: str, **params: str | int | list[str]) -> dict:  # type: ignore[type-arg]
    answer = client.get("/api/search", params={"q": q, **params})
    assert answer.status_code == 200, (q, answer.text)
    assert answer.headers["content-type"].startswith("application/ld+json")
    return answer.json()  # type: ignore[no-any-return]


def test_every_resource_is_found_by_its_exact_label(client: httpx.Client, shipped_store: ox.Store) -> None:
    labels = primary_labels(shipped_store)
    assert len(labels) > 800
    missed = []
    for iri, label in sorted(labels.items()):
        members = search(client, label, limit=100)["member"]
        same = [m["@id"] for m in members if label_of(m).casefold() == label.casefold()]
        leading = [m["@id"] for m in members[: len(same)]]
        if not members or label_of(members[0]).casefold() != label.casefold() or iri not in leading:
            missed.append((iri, label, [label_of(m) for m in members[:3]]))
    assert not missed, f"{len(missed)} resources not first for their label, e.g. {missed[:5]}"


def test_every_definition_is_found_by_its_rarest_word(client: httpx.Client, shipped_store: ox.Store) -> None:
    texts: dict[str, set[str]] = {}  # the words of each resource's indexed text, for document frequencies
    for q in shipped_store.quads_for_pattern(None, None, None):
        if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal):
            texts.setdefault(q.subject.value, set()).update(w.lower() for w in WORD.findall(q.object.value))
    frequency = Counter(w for words in texts.values() for w in words)
    definitions: dict[str, str] = {}
    for predicate in DEFINITIONS:
        for q in shipped_store.quads_for_pattern(None, ox.NamedNode(predicate), None):
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal) and english(q.object):
                definitions.setdefault(q.subject.value, q.object.value)
    assert len(definitions) > 500
    missed = []
    for iri, text in sorted(definitions.items()):
        words = sorted({w.lower() for w in WORD.findall(text)}, key=lambda w: (frequency[w], w))
        if not words:
            continue
        members = [m["@id"] for m in search(client, words[0])["member"]]  # the first page (20)
        if iri not in members:
            missed.append((iri, words[0], frequency[words[0]]))
    assert not missed, (
        f"{len(missed)} resources not on the first page for a word of their definition: {missed[:5]}"
    )


def test_answers_carry_sections_snippets_facets_and_paging(client: httpx.Client) -> None:
    doc = search(client, "trust", limit=5)
    assert doc["totalItems"] > 5 and len(doc["member"]) == 5
    assert doc["view"]["next"].endswith("page=2") and "previous" not in doc["view"]
    assert any(m.get("section") for m in doc["member"])
    assert all(m["matchedIn"] in ("label", "alt", "definition", "quote") for m in doc["member"])
    assert any("snippet" in m for m in doc["member"]) or all(m["matchedIn"] == "label" for m in doc["member"])
    facets = {(f["facet"], f["facetValue"]): f for f in doc["facets"]}
    mitigations = facets[("type", "Mitigation")]
    narrowed = client.get(local(mitigations["filter"])).json()
    assert narrowed["totalItems"] == mitigations["count"] > 0
    assert all("Mitigation" in m["@type"] for m in narrowed["member"])
    second = client.get(local(doc["view"]["next"])).json()
    assert {m["@id"] for m in second["member"]}.isdisjoint({m["@id"] for m in doc["member"]})


def test_suggestions(client: httpx.Client) -> None:
    answer = client.get("/api/search/suggest", params={"q": "lack of tr"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    found = answer.json()["suggestions"]
    assert found and found[0]["label"].lower().startswith("lack of tr")
    assert all(s["href"].startswith("/") for s in found)
    assert client.get("/api/search/suggest", params={"q": "x", "limit": 0}).status_code == 400


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "trust OR",
        "NEAR(a b)",
        "{label}: x",
        "'; DROP TABLE doc; --",
        "\\",
        "😀",
        "x\ny",
        "*",
        "^a",
        "(((",
        "\u0000",
    ],
)
def test_hostile_queries_get_an_answer(client: httpx.Client, q: str) -> None:
    for path in ("/api/search", "/api/search/suggest", "/search"):
        answer = client.get(path, params={"q": q})
        assert answer.status_code == 200, (path, q, answer.text)


def test_bad_parameters_are_400_problems_and_the_server_stays_up(client: httpx.Client) -> None:
    cases = [
        ({"q": "a" * 201}, "at most 200 characters"),
        ({"q": "x", "page": "0"}, "between 1"),
        ({"q": "x", "limit": "1000"}, "between 1 and 100"),
        ({"q": "x", "page": "two"}, "whole number"),
        ({"q": "x", "colour": "red"}, "unknown parameter 'colour'"),
        ({"q": " ".join(["w"] * 41)}, "at most 40 words"),
    ]
    for params, message in cases:
        answer = client.get("/api/search", params=params)
        assert answer.status_code == 400, params
        assert (
            answer.headers["content-type"] == "application/problem+json"
            and message in answer.json()["detail"]
        )
    page = client.get("/search", params={"q": "a" * 201}, headers={"Accept": "text/html"})
    assert page.status_code == 400 and "at most 200 characters" in page.text
    assert client.get("/api/search", params={"q": "trust"}).status_code == 200


def test_the_html_page_works_without_javascript(client: httpx.Client) -> None:
    page = client.get("/search", params={"q": "trust", "type": "Mitigation"}, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert re.search(r'<h2 id="hits">\d+ results? for “trust”</h2>', page.text)
    assert (
        "<mark>" in page.text
        and '<input type="checkbox" name="type" value="Mitigation" checked>' in page.text
    )
    assert (
        '<input type="hidden" name="type" value="Mitigation">' in page.text
    )  # a new search keeps the filter
    home = client.get("/", headers={"Accept": "text/html"}).text
    assert 'action="/search"' in home and 'name="q"' in home and "/static/search.js" in home


def test_a_new_initiative_is_found_right_after_its_201_and_a_rejected_one_never(
    client: httpx.Client, store_folder: Path
) -> None:
    assert search(client, "Helsinki district digital twins")["member"][0]["@id"] != NEW
    refused = client.put(
        "/store", params={"graph": GRAPH}, content=REJECTED, headers={"Content-Type": "text/turtle", **AUTH}
    )
    assert refused.status_code == 422
    assert search(client, "Qwertyville")["totalItems"] == 0
    assert client.get("/api/search/suggest", params={"q": "qwerty"}).json()["suggestions"] == []

    put = client.put(
        "/store",
        params={"graph": GRAPH},
        content=EXAMPLE.read_bytes(),
        headers={"Content-Type": "text/turtle", **AUTH},
    )
    assert put.status_code == 201, put.text
    first = search(client, "Helsinki district digital twins")["member"][0]
    assert first["@id"] == NEW and first["exactLabelMatch"] is True
    folded = [m["@id"] for m in search(client, "Kannelmaki")["member"]]
    assert NEW in folded and folded == [m["@id"] for m in search(client, "Kannelmäki")["member"]]
    assert NEW in [
        s["@id"]
        for s in client.get("/api/search/suggest", params={"q": "helsinki dis"}).json()["suggestions"]
    ]
    assert NEW in [m["@id"] for m in search(client, "", type="LocalDigitalTwin")["member"]]
    assert search(client, "Qwertyville")["totalItems"] == 0

    index = store_folder / "store.search.sqlite"
    assert index.exists()  # the index lives beside the store


def test_a_missing_index_is_rebuilt_from_the_store_at_start(tmp_path: Path) -> None:
    with serve([], env_for(tmp_path), timeout=120) as base, http_client(base) as first:
        put = first.put(
            "/store",
            params={"graph": GRAPH},
            content=EXAMPLE.read_bytes(),
            headers={"Content-Type": "text/turtle", **AUTH},
        )
        assert put.status_code == 201, put.text
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"store.search.sqlite{suffix}").unlink(missing_ok=True)
    with serve([], env_for(tmp_path), timeout=120) as base, http_client(base) as again:
        found = again.get("/api/search", params={"q": "Helsinki district digital twins"}).json()["member"]
        assert found[0]["@id"] == NEW
    assert (tmp_path / "store.search.sqlite").exists()


def test_lists_browse_a_to_z_and_filter(client: httpx.Client, shipped_store: ox.Store) -> None:
    footnote = ox.NamedNode("https://w3id.org/iopgraph/ontology#Footnote")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    footnotes = {q.subject.value for q in shipped_store.quads_for_pattern(None, rdf_type, footnote)}
    labels = primary_labels(shipped_store)
    listed = search(client, "", type="Footnote", limit=100)
    assert listed["totalItems"] == len(footnotes) > 100
    names = [label_of(m).casefold() for m in listed["member"]]
    assert names == sorted(names)  # browsing without words: by label
    page = client.get("/search", params={"type": "Footnote"}, headers={"Accept": "text/html"}).text
    az = re.findall(
        r'<li><a href="([^"]+)">(\w)</a></li>', page.split('aria-label="A to Z"')[1].split("</nav>")[0]
    )
    assert {letter for _, letter in az} == {labels[f][0].upper() for f in footnotes}
    for href, letter in az:
        target, anchor = href.replace("&amp;", "&").split("#")
        assert f'id="{anchor}"' in client.get(target, headers={"Accept": "text/html"}).text, letter
    mitigations = client.get("/mitigations", headers={"Accept": "text/html"}).text
    assert (
        'class="list-filter"' in mitigations
        and '<input type="hidden" name="type" value="GoodPractice">' in mitigations
    )
    found = search(client, "sandbox", type=["Mitigation", "GoodPractice"])  # what the list's box sends
    assert found["totalItems"] > 0
    assert all({"Mitigation", "GoodPractice"} & set(m["@type"]) for m in found["member"])


def test_the_json_ld_expands_to_triples_of_the_store(client: httpx.Client, shipped_store: ox.Store) -> None:
    from support.ldviews import jsonld_triples, store_triples

    doc = search(client, "ISO 37120", limit=30)
    triples = jsonld_triples(doc, doc["@context"][0])
    store = store_triples(shipped_store)
    members = {ox.NamedNode(m["@id"]) for m in doc["member"]}
    hydra = "http://www.w3.org/ns/hydra/core#"
    search_terms = "https://w3id.org/iopgraph/ontology/search#"  # snippet, matchedIn, exactLabelMatch
    about_members = {
        t for t in triples if t.subject in members and not t.predicate.value.startswith(search_terms)
    }
    assert about_members and about_members <= store  # labels, types, sections: nothing the store does not say
    assert {t.object for t in triples if t.predicate.value == hydra + "member"} == members
    sections = {t for t in about_members if t.predicate.value.endswith(("#section", "/isPartOf"))}
    assert sections  # each hit's section is a real iop:section / dcterms:isPartOf of the store


def _search_log(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(folder.glob("server-*.log")))


def _wait_for_log(folder: Path, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in _search_log(folder):
        assert time.monotonic() < deadline, (
            f"not in the log within {timeout} s: {text}\n{_search_log(folder)}"
        )
        time.sleep(0.2)


def test_a_restart_on_the_same_store_reuses_the_index_without_reading_records(tmp_path: Path) -> None:
    """The start-up check keys the index on the store content (the workers' snapshot digest), so a
    restart does not read every record; a store changed while the service was down is still seen."""
    logs = [tmp_path / f"logs-{n}" for n in range(3)]
    for folder in logs:
        folder.mkdir()
    with serve([], env_for(tmp_path), timeout=120, folder=logs[0]):
        _wait_for_log(logs[0], "search index: built")
    with serve([], env_for(tmp_path), timeout=120, folder=logs[1]) as base, http_client(base) as again:
        _wait_for_log(logs[1], "search index: reused (built from the same store content)")
        found = again.get("/api/search", params={"q": "Lack of trust"}).json()["member"]
        assert found, "the reused index answers"
    # the records were not read: neither "built (N resources)" nor "reused (N resources)"
    assert "resources)" not in _search_log(logs[1])

    # Changed while the service was down (as a CLI load would): the content digest differs.
    store = ox.Store(str(tmp_path / "store"))
    thing = ox.NamedNode("https://w3id.org/iopgraph/id/initiative/qwertyville-outside")
    graph = ox.NamedNode(GRAPH)
    store.add(
        ox.Quad(thing, ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(ONTOLOGY + "Initiative"), graph)
    )
    label = ox.Literal("Qwertyville outside", language="en")
    store.add(ox.Quad(thing, ox.NamedNode(PREFIXES["skos"] + "prefLabel"), label, graph))
    store.flush()
    del store
    with serve([], env_for(tmp_path), timeout=120, folder=logs[2]) as base, http_client(base) as third:
        _wait_for_log(logs[2], "search index: built")
        found = third.get("/api/search", params={"q": "Qwertyville outside"}).json()["member"]
        assert [m["@id"] for m in found][:1] == [thing.value]
