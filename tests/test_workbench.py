"""The steward workbench against a live `iopgraph serve` on the shipped graph: sessions, CSRF, roles, forms, proposals.

Real HTTP clients on a random loopback port. Hostile cases check one status each and that the store
(its N-Quads, hashed) is unchanged: a POST without or with a wrong CSRF token, a pre-set session cookie,
a proposer accepting, an anonymous proposal, a rejected or invalid proposal.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import SH

from iopgraph.core.settings import Settings
from iopgraph.stewardship.auth import PROPOSER, PUBLISHER, WriteTokens
from support.clients import http_client
from support.paths import ROOT
from support.server import serve

PROPOSER_TOKEN = "proposer-token-0123456789abcdef"
PUBLISHER_TOKEN = "publisher-token-0123456789abcdef"
LEGACY_TOKEN = "legacy-line-token-0123456789abcdef"
TOKENS = (
    f"city-of-helsinki proposer {PROPOSER_TOKEN}\n"
    f"eu-publisher publisher {PUBLISHER_TOKEN}\n"
    f"legacy-steward {LEGACY_TOKEN}\n"
)
ID = "https://w3id.org/iopgraph/id/"
IOP = "https://w3id.org/iopgraph/ontology#"
PLACE = ID + "place/"
SECTION = ID + "report/d06-02/section/annex-5-3"
KIND_CLASSES = {
    "initiative": IOP + "Initiative",
    "organisation": "http://www.w3.org/ns/org#Organization",
    "participation": IOP + "Participation",
    "mitigation": IOP + "Mitigation",
    "statistic": IOP + "Statistic",
}


def start(folder: Path, **extra: str) -> Iterator[str]:
    (folder / "tokens").write_text(TOKENS, encoding="utf-8")
    env = {
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_WRITE_TOKEN_FILE": str(folder / "tokens"),
        "IOPGRAPH_QUERY_WORKERS": "1",
        **extra,
    }
    with serve([], env, timeout=120) as base:
        yield base


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from start(tmp_path_factory.mktemp("workbench"))


def store_hash(base: str) -> str:
    answer = httpx.get(base + "/store", headers={"Accept": "application/n-quads"}, timeout=60)
    assert answer.status_code == 200
    lines = sorted(line for line in answer.text.splitlines() if line.strip())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def signin_token(client: httpx.Client) -> str:
    page = client.get("/sign-in")
    assert page.status_code == 200
    found = re.search(r'name="signin_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def sign_in(base: str, token: str) -> httpx.Client:
    client = http_client(base)
    answer = client.post(
        "/sign-in", data={"signin_token": signin_token(client), "token": token, "next": "/proposals"}
    )
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(client: httpx.Client, path: str = "/proposals") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def initiative_values(name: str, city: str = "helsinki") -> dict[str, list[str]]:
    return {
        "rdf.type": [IOP + "LocalDigitalTwin"],
        "rdfs.label": [name],
        "dcterms.description": ["A test initiative of the workbench."],
        "iop.isUseCase": ["false"],
        "iop.city": [PLACE + city],
        "iop.country": [PLACE + "finland"],
        "iop.section": [SECTION],
    }


def propose(client: httpx.Client, values: dict[str, list[str]]) -> str:
    answer = client.post(
        "/edit", data={**values, "kind": "initiative", "iri": "", "csrf_token": csrf_of(client)}
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def assert_problem(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code


# --- sign-in, cookies, fixation ---------------------------------------------------------------------


def test_the_session_cookie_is_httponly_samesite_strict_and_short_lived(server: str) -> None:
    client = http_client(server)
    answer = client.post("/sign-in", data={"signin_token": signin_token(client), "token": PROPOSER_TOKEN})
    assert answer.status_code == 303
    cookie = next(v for v in answer.headers.get_list("set-cookie") if v.startswith("iopgraph_session="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/", "max-age=1800"} <= flags
    assert "secure" not in flags  # plain http on loopback: a Secure cookie would never come back
    assert PROPOSER_TOKEN not in answer.headers.get("location", "") and PROPOSER_TOKEN not in cookie


def test_behind_https_the_cookie_is_secure(tmp_path: Path) -> None:
    for base in start(tmp_path, IOPGRAPH_BASE_URL="https://stewards.example.org"):
        form = httpx.get(base + "/sign-in", timeout=60)
        signin = next(v for v in form.headers.get_list("set-cookie") if v.startswith("iopgraph_signin="))
        assert "secure" in {part.strip().lower() for part in signin.split(";")[1:]}
        value = signin.split(";")[0].split("=", 1)[1]
        # A browser sends a Secure cookie over https only; this client is told to send it anyway.
        answer = httpx.post(
            base + "/sign-in",
            data={"signin_token": value, "token": PROPOSER_TOKEN},
            headers={"Cookie": f"iopgraph_signin={value}"},
            timeout=60,
        )
        assert answer.status_code == 303
        cookie = next(v for v in answer.headers.get_list("set-cookie") if v.startswith("iopgraph_session="))
        assert "secure" in {part.strip().lower() for part in cookie.split(";")[1:]}


def test_a_wrong_token_is_refused_with_a_message(server: str) -> None:
    client = http_client(server)
    answer = client.post("/sign-in", data={"signin_token": signin_token(client), "token": "x" * 32})
    assert answer.status_code == 403
    assert "not valid" in answer.text
    assert not any(v.startswith("iopgraph_session=") for v in answer.headers.get_list("set-cookie"))


def test_sign_in_without_its_form_token_is_403(server: str) -> None:
    answer = httpx.post(server + "/sign-in", data={"token": PROPOSER_TOKEN}, timeout=60)
    assert_problem(answer, 403, "csrf-failed")


def test_a_pre_set_session_cookie_is_not_adopted(server: str) -> None:
    planted = "attacker-chosen-session-id-0123456789"
    client = http_client(server, cookies={"iopgraph_session": planted})
    assert client.get("/edit/new/initiative").status_code == 303  # the planted id is no session
    answer = client.post("/sign-in", data={"signin_token": signin_token(client), "token": PROPOSER_TOKEN})
    issued = answer.cookies.get("iopgraph_session")
    assert issued and issued != planted
    attacker = http_client(server, cookies={"iopgraph_session": planted})
    assert attacker.get("/proposals").status_code == 303


def test_signing_in_again_rotates_the_session_id(server: str) -> None:
    client = sign_in(server, PROPOSER_TOKEN)
    first = client.cookies.get("iopgraph_session")
    answer = client.post("/sign-in", data={"signin_token": signin_token(client), "token": PUBLISHER_TOKEN})
    second = answer.cookies.get("iopgraph_session")
    assert first and second and first != second
    old = http_client(server, cookies={"iopgraph_session": first})
    assert old.get("/proposals").status_code == 303


def test_sign_out_destroys_the_session(server: str) -> None:
    client = sign_in(server, PROPOSER_TOKEN)
    session_id = client.cookies.get("iopgraph_session")
    assert client.post("/sign-out", data={"csrf_token": csrf_of(client)}).status_code == 303
    replay = http_client(server, cookies={"iopgraph_session": session_id or ""})
    assert replay.get("/proposals").status_code == 303


def test_editing_pages_need_a_session(server: str) -> None:
    answer = httpx.get(server + "/edit/new/initiative", timeout=60)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Fedit%2Fnew%2Finitiative"


def test_the_next_target_stays_on_this_site(server: str) -> None:
    client = http_client(server)
    answer = client.post(
        "/sign-in",
        data={"signin_token": signin_token(client), "token": PROPOSER_TOKEN, "next": "//evil.example/x"},
    )
    assert answer.headers["location"] == "/proposals"


# --- CSRF ---------------------------------------------------------------------------------------------


def test_a_post_without_or_with_a_wrong_csrf_token_is_403_and_writes_nothing(server: str) -> None:
    client = sign_in(server, PUBLISHER_TOKEN)
    before, proposals = store_hash(server), client.get("/proposals").text.count("/proposals/")
    values = {**initiative_values("Csrf probe initiative"), "kind": ["initiative"], "iri": [""]}
    assert_problem(client.post("/edit", data=values), 403, "csrf-failed")
    assert_problem(client.post("/edit", data={**values, "csrf_token": "wrong"}), 403, "csrf-failed")
    assert_problem(client.post("/edit/check", json={"kind": "initiative", "values": {}}), 403, "csrf-failed")
    assert_problem(client.post("/sign-out"), 403, "csrf-failed")
    assert_problem(
        client.post("/id/initiative/flanders-smart-data-space/history", data={"version": "none"}),
        403,
        "csrf-failed",
    )
    assert store_hash(server) == before
    assert client.get("/proposals").text.count("/proposals/") == proposals


def test_accept_without_the_csrf_token_is_403_and_the_store_is_unchanged(server: str) -> None:
    proposer = sign_in(server, PROPOSER_TOKEN)
    location = propose(proposer, initiative_values("Csrf accept probe"))
    publisher = sign_in(server, PUBLISHER_TOKEN)
    before = store_hash(server)
    assert_problem(publisher.post(location + "/accept", data={"csrf_token": "forged"}), 403, "csrf-failed")
    assert store_hash(server) == before
    assert "open" in publisher.get(location).text


# --- roles ---------------------------------------------------------------------------------------------


def test_anonymous_cannot_propose(server: str) -> None:
    values = {
        **initiative_values("Anonymous probe"),
        "kind": ["initiative"],
        "iri": [""],
        "csrf_token": ["x"],
    }
    assert_problem(httpx.post(server + "/edit", data=values, timeout=60), 403, "sign-in-required")


def test_a_proposer_cannot_accept_reject_or_revert(server: str) -> None:
    proposer = sign_in(server, PROPOSER_TOKEN)
    location = propose(proposer, initiative_values("Role probe initiative"))
    before = store_hash(server)
    csrf = csrf_of(proposer)
    assert_problem(proposer.post(location + "/accept", data={"csrf_token": csrf}), 403, "publisher-only")
    assert_problem(
        proposer.post(location + "/reject", data={"csrf_token": csrf, "comment": "no"}), 403, "publisher-only"
    )
    assert_problem(
        proposer.post(
            "/id/initiative/flanders-smart-data-space/history", data={"csrf_token": csrf, "version": "none"}
        ),
        403,
        "publisher-only",
    )
    assert store_hash(server) == before
    assert "Accept and publish" not in proposer.get(location).text


def test_a_proposer_token_cannot_write_through_the_api(server: str) -> None:
    graph = "https://w3id.org/iopgraph/graph/contrib/proposer-api-probe"
    answer = httpx.put(
        server + "/store",
        params={"graph": graph},
        content=b"<urn:a> <urn:b> <urn:c> .",
        headers={"Authorization": f"Bearer {PROPOSER_TOKEN}", "Content-Type": "application/n-triples"},
        timeout=60,
    )
    assert_problem(answer, 403, "forbidden")


def test_a_legacy_agent_token_line_still_writes_as_publisher(server: str) -> None:
    graph = "https://w3id.org/iopgraph/graph/contrib/legacy-line-probe"
    answer = httpx.put(
        server + "/store",
        params={"graph": graph},
        content=b"<urn:a> <urn:b> <urn:c> .",
        headers={"Authorization": f"Bearer {LEGACY_TOKEN}", "Content-Type": "application/n-triples"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    client = sign_in(server, LEGACY_TOKEN)
    assert "(publisher)" in client.get("/proposals").text


def test_token_file_roles_parse(tmp_path: Path) -> None:
    file = tmp_path / "tokens"
    file.write_text(TOKENS + "b" * 20 + "\n", encoding="utf-8")
    tokens = WriteTokens.from_settings(Settings(root=ROOT, write_token_file=file))
    assert tokens.identify(PROPOSER_TOKEN) == ("city-of-helsinki", PROPOSER)
    assert tokens.identify(PUBLISHER_TOKEN) == ("eu-publisher", PUBLISHER)
    assert tokens.identify(LEGACY_TOKEN) == ("legacy-steward", PUBLISHER)
    assert tokens.identify("b" * 20) == ("steward", PUBLISHER)
    assert tokens.identify("c" * 20) is None


# --- proposals never reach the graph unless accepted ---------------------------------------------------


def test_a_rejected_proposal_never_reaches_the_graph(server: str) -> None:
    proposer = sign_in(server, PROPOSER_TOKEN)
    location = propose(proposer, initiative_values("Rejected probe initiative"))
    publisher = sign_in(server, PUBLISHER_TOKEN)
    before = store_hash(server)
    csrf = csrf_of(publisher)
    assert publisher.post(location + "/reject", data={"csrf_token": csrf, "comment": ""}).status_code == 422
    answer = publisher.post(location + "/reject", data={"csrf_token": csrf, "comment": "Not in the report."})
    assert answer.status_code == 303
    page = publisher.get(location).text
    assert "rejected by eu-publisher" in page and "Not in the report." in page
    assert publisher.post(location + "/accept", data={"csrf_token": csrf}).status_code == 409
    assert store_hash(server) == before
    assert httpx.get(server + "/id/initiative/rejected-probe-initiative", timeout=60).status_code == 404


def test_an_invalid_proposal_is_refused_at_acceptance(server: str) -> None:
    proposer = sign_in(server, PROPOSER_TOKEN)
    location = propose(proposer, initiative_values("Invalid probe initiative", city="atlantis"))
    publisher = sign_in(server, PUBLISHER_TOKEN)
    review = publisher.get(location).text
    assert "Would be refused" in review and "iop:city must point to a place" in review
    before = store_hash(server)
    answer = publisher.post(location + "/accept", data={"csrf_token": csrf_of(publisher)})
    assert answer.status_code == 422
    assert "The gate refused it" in answer.text
    assert store_hash(server) == before
    assert "open" in publisher.get(location).text


# --- forms from the shapes, live check, lookup ---------------------------------------------------------


def shape_paths(cls: str) -> set[str]:
    shapes = rdflib.Graph()
    for f in sorted((ROOT / "shapes").glob("*.ttl")):
        shapes.parse(f)
    paths = set()
    for node in shapes.subjects(SH.targetClass, rdflib.URIRef(cls)):
        for prop in shapes.objects(node, SH.property):
            path = shapes.value(prop, SH.path)
            if isinstance(path, rdflib.URIRef):
                paths.add(str(path))
    return paths


@pytest.mark.parametrize("kind", sorted(KIND_CLASSES))
def test_each_kinds_form_has_a_field_per_shape_path(server: str, kind: str) -> None:
    client = sign_in(server, PROPOSER_TOKEN)
    page = client.get(f"/edit/new/{kind}")
    assert page.status_code == 200
    shown = set(re.findall(r'<code class="wb-path">([^<]+)</code>', page.text))
    from iopgraph.workbench.formmodel import curie

    expected = {curie(p) for p in shape_paths(KIND_CLASSES[kind])}
    assert expected and expected <= shown
    for key in re.findall(r'data-key="([^"]+)"', page.text):  # every input is labelled
        assert f'aria-labelledby="label-{key}"' in page.text


def test_an_unknown_kind_is_404(server: str) -> None:
    client = sign_in(server, PROPOSER_TOKEN)
    assert client.get("/edit/new/spaceship").status_code == 404


def test_editing_prefills_from_the_store(server: str) -> None:
    client = sign_in(server, PROPOSER_TOKEN)
    iri = ID + "initiative/flanders-smart-data-space"
    page = client.get("/edit", params={"iri": iri})
    assert page.status_code == 200
    label = httpx.get(
        server + "/sparql",
        timeout=60,
        params={"query": f"SELECT ?l WHERE {{ <{iri}> <http://www.w3.org/2000/01/rdf-schema#label> ?l }}"},
        headers={"Accept": "application/sparql-results+json"},
    ).json()["results"]["bindings"][0]["l"]["value"]
    assert f'name="rdfs.label" value="{label}"' in page.text
    assert f'name="iri" value="{iri}"' in page.text


def test_the_live_check_puts_the_shape_message_beside_its_field(server: str) -> None:
    client = sign_in(server, PROPOSER_TOKEN)
    csrf = csrf_of(client, "/edit/new/initiative")
    before = store_hash(server)
    bad = client.post(
        "/edit/check",
        json={
            "kind": "initiative",
            "iri": None,
            "values": initiative_values("Live check probe", city="atlantis"),
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert bad.status_code == 200
    answer = bad.json()
    assert answer["conforms"] is False and answer["iri"] == ID + "initiative/live-check-probe"
    assert answer["fields"]["iop.city"] == [
        "iop:city must point to a place (iop:Place) described in the graph."
    ]
    good = client.post(
        "/edit/check",
        json={"kind": "initiative", "iri": None, "values": initiative_values("Live check probe")},
        headers={"X-CSRF-Token": csrf},
    ).json()
    assert good["conforms"] is True and good["fields"] == {}
    assert store_hash(server) == before  # a dry run


def test_the_live_check_refuses_a_malformed_body(server: str) -> None:
    client = sign_in(server, PROPOSER_TOKEN)
    answer = client.post("/edit/check", content=b"{not json", headers={"X-CSRF-Token": csrf_of(client)})
    assert_problem(answer, 400, "bad-input")


def test_lookup_suggests_resources_of_the_class_and_concepts_of_the_scheme(server: str) -> None:
    places = httpx.get(
        server + "/edit/lookup", params={"class": IOP + "Place", "q": "helsin"}, timeout=60
    ).json()
    assert {"iri": PLACE + "helsinki", "label": "Helsinki"} in places
    sections = httpx.get(
        server + "/edit/lookup", params={"class": IOP + "ReportSection", "q": "annex 5"}, timeout=60
    ).json()
    assert sections and all("/section/" in s["iri"] for s in sections)
    roles = httpx.get(
        server + "/edit/lookup",
        timeout=60,
        params={"scheme": "https://w3id.org/iopgraph/concept/participation-role", "q": ""},
    ).json()
    assert roles and all("/concept/participation-role/" in r["iri"] for r in roles)


def test_lookup_needs_one_iri_parameter(server: str) -> None:
    assert_problem(httpx.get(server + "/edit/lookup", params={"q": "x"}, timeout=60), 400, "bad-input")
    assert_problem(
        httpx.get(server + "/edit/lookup", params={"class": "not an iri"}, timeout=60), 400, "bad-input"
    )


def test_the_history_of_a_shipped_resource_is_public(server: str) -> None:
    page = httpx.get(server + "/id/initiative/flanders-smart-data-space/history", timeout=60)
    assert page.status_code == 200
    assert "built from the project&#39;s files" in page.text or "built from the project's files" in page.text
    assert httpx.get(server + "/id/initiative/no-such-thing/history", timeout=60).status_code == 404
    # a path that cannot be part of an IRI (found by the schema fuzzer): 404, not a server error
    assert_problem(
        httpx.get(server + "/id/%C3%86%22%F3%A0%9A%B1/history", timeout=60), 404, "resource-not-found"
    )


# --- editing, restoring, shipped data ------------------------------------------------------------------


def accept(publisher: httpx.Client, location: str) -> None:
    answer = publisher.post(location + "/accept", data={"csrf_token": csrf_of(publisher)})
    assert answer.status_code == 303, answer.text
    assert "accepted by eu-publisher" in publisher.get(location).text


def description_of(base: str, iri: str) -> list[str]:
    rows = httpx.get(
        base + "/sparql",
        timeout=60,
        headers={"Accept": "application/sparql-results+json"},
        params={"query": f"SELECT ?d WHERE {{ <{iri}> <http://purl.org/dc/terms/description> ?d }}"},
    ).json()
    return sorted(b["d"]["value"] for b in rows["results"]["bindings"])


def test_edit_an_accepted_resource_then_restore_its_first_version(server: str) -> None:
    publisher = sign_in(server, PUBLISHER_TOKEN)
    iri = ID + "initiative/restore-probe-initiative"
    accept(publisher, propose(publisher, initiative_values("Restore probe initiative")))
    form = publisher.get("/edit", params={"iri": iri}).text
    assert 'value="Restore probe initiative"' in form
    values = {
        **initiative_values("Restore probe initiative"),
        "dcterms.description": ["A corrected description."],
    }
    answer = publisher.post(
        "/edit", data={**values, "kind": "initiative", "iri": iri, "csrf_token": csrf_of(publisher)}
    )
    assert answer.status_code == 303
    review = publisher.get(answer.headers["location"]).text
    assert "A corrected description." in review and "A test initiative of the workbench." in review  # + and -
    accept(publisher, answer.headers["location"])
    assert description_of(server, iri) == ["A corrected description."]

    path = "/id/initiative/restore-probe-initiative/history"
    history = publisher.get(path).text
    seqs = re.findall(r'<li class="wb-version" id="version-(\d+)"', history)
    assert len(seqs) == 2
    answer = publisher.post(path, data={"csrf_token": csrf_of(publisher, path), "version": seqs[-1]})
    assert answer.status_code == 303
    assert description_of(server, iri) == ["A test initiative of the workbench."]
    history = publisher.get(path).text
    assert (
        history.count('class="wb-version"') == 3 and f"restore version {seqs[-1]} in the workbench" in history
    )


def shipped_values(base: str, iri: str) -> dict[str, list[str]]:
    """The form's values of a stored resource, as the edit form shows them."""
    from iopgraph.workbench.formmodel import FormModels

    answer = httpx.get(
        base + "/sparql",
        timeout=60,
        headers={"Accept": "application/n-triples"},
        params={"query": f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }}"},
    )
    triples = [
        ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(answer.content, ox.RdfFormat.N_TRIPLES)
    ]
    return FormModels.from_root(ROOT).form("initiative").values_of(iri, triples)


def test_removing_a_shipped_statement_is_refused_and_nothing_is_written(server: str) -> None:
    publisher = sign_in(server, PUBLISHER_TOKEN)
    iri = ID + "initiative/flanders-smart-data-space"
    values = {**shipped_values(server, iri), "rdfs.label": ["Flanders renamed"]}
    answer = publisher.post(
        "/edit", data={**values, "kind": "initiative", "iri": iri, "csrf_token": csrf_of(publisher)}
    )
    assert answer.status_code == 303
    before = store_hash(server)
    refused = publisher.post(answer.headers["location"] + "/accept", data={"csrf_token": csrf_of(publisher)})
    assert refused.status_code == 403
    assert "http://www.w3.org/2000/01/rdf-schema#label" in refused.text and "iopgraph build" in refused.text
    assert store_hash(server) == before


def test_a_statement_can_be_added_to_a_shipped_resource(server: str) -> None:
    publisher = sign_in(server, PUBLISHER_TOKEN)
    iri = ID + "initiative/flanders-smart-data-space"
    values = shipped_values(server, iri)
    values["iop.quote"] = [*values["iop.quote"], "A quote added in the workbench."]
    answer = publisher.post(
        "/edit", data={**values, "kind": "initiative", "iri": iri, "csrf_token": csrf_of(publisher)}
    )
    review = publisher.get(answer.headers["location"]).text
    assert review.count('class="wb-add"') == 1 and 'class="wb-remove"' not in review
    accept(publisher, answer.headers["location"])
    graph = "https://w3id.org/iopgraph/graph/contrib/flanders-smart-data-space"
    stored = httpx.get(
        server + "/store", params={"graph": graph}, headers={"Accept": "application/n-triples"}, timeout=60
    ).text
    assert len(stored.strip().splitlines()) == 1 and "A quote added in the workbench." in stored
    history = publisher.get("/id/initiative/flanders-smart-data-space/history").text
    newest = history[history.index('class="wb-version"') :].split('class="wb-version"')[1]
    assert "by <strong>eu-publisher</strong>" in newest and "1 statement(s) added" in newest
    assert "built from the project" in history  # the shipped version comes before the edit


def test_the_stewards_guide_shows_its_screenshots(server: str) -> None:
    page = httpx.get(server + "/guides/stewards", timeout=60)
    assert page.status_code == 200
    images = re.findall(r'<img src="(img/[^"]+\.png)" alt="[^"]+"', page.text)
    assert {Path(i).name for i in images} == {p.name for p in (ROOT / "docs" / "img").glob("workbench-*.png")}
    for src in images:
        answer = httpx.get(f"{server}/guides/{src}", timeout=60)
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    assert httpx.get(server + "/guides/img/nothing.png", timeout=60).status_code == 404
