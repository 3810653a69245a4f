"""Journey: a data steward follows docs/add-an-initiative.md against `iopgraph serve` on the shipped graph.

Step by step as the guide shows it, with real clients on a random free port and without
``IOPGRAPH_BASE_URL``: validate the worked example alone (only the file's own findings), with
``current=true`` (conforms), the SHACL report as Turtle; write it with a token (refused without one, and
refused with nothing written when a shape is violated); read it back; correct it with SPARQL Update; run
the guide's provenance query. Then a broken file and a shape violation through the API, the ``/validate``
form in headless Chromium, and the command line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from support.browser import ARTIFACTS, NEEDS_CHROMIUM, chromium_page
from support.clients import http_client
from support.paths import ROOT
from support.server import serve

GUIDE = (ROOT / "docs" / "add-an-initiative.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "docs" / "examples" / "new-initiative.ttl"
INITIATIVE = "https://w3id.org/iopgraph/id/initiative/helsinki-district-digital-twins"
GRAPH = "https://w3id.org/iopgraph/graph/contrib/helsinki-district-digital-twins"
TOKEN = "journey-steward-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
#: The example's links that point outside the file: what validating it alone must report (the guide says so).
OWN_FINDINGS = {"iop:city", "iop:country", "iop:partOfProgramme", "iop:section"}
BROKEN_SYNTAX = EXAMPLE.read_text(encoding="utf-8").replace("iop:isUseCase false ;", "iop:isUseCase @@@ ;")
SHAPE_VIOLATION = EXAMPLE.read_text(encoding="utf-8").replace(
    "iop:city place:helsinki", "iop:city place:atlantis"
)
TRIPLES = len(list(ox.parse(path=str(EXAMPLE))))


def guide_block(pattern: str) -> str:
    """A quoted argument of one command of the guide (so the test runs what the page shows)."""
    found = re.search(pattern, GUIDE, re.S)
    assert found, f"the guide no longer has {pattern!r}"
    return found.group(1)


CORRECTION = guide_block(r"--data-binary '\n(PREFIX init:.*?)'\n")
PROVENANCE_QUERY = guide_block(r"--data-urlencode query='\n(.*?)'\n")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("steward")
    env = {
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_WRITE_AGENT": "city-of-helsinki",
        "IOPGRAPH_QUERY_WORKERS": "1",
    }
    with serve([], env, timeout=120) as base:
        yield base


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with http_client(server, timeout=120) as c:
        yield c


# --- step 2: validate -------------------------------------------------------------------------------


def validate_alone(client: httpx.Client) -> dict:  # type: ignore[type-arg]
    # curl -s -X POST .../api/validate -F file=@docs/examples/new-initiative.ttl
    answer = client.post("/api/validate", files={"file": (EXAMPLE.name, EXAMPLE.read_bytes())})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_step_2_the_file_alone_reports_its_links_outside_it(client: httpx.Client) -> None:
    report = validate_alone(client)
    assert report["conforms"] is False and report["source"] == EXAMPLE.name and report["triples"] == TRIPLES
    mine = [r for r in report["results"] if r["focus_node"] == INITIATIVE]
    assert {r["path"] for r in mine} == OWN_FINDINGS
    assert all(r["message"] and r["severity"] == "Violation" for r in mine)


def test_step_2_the_file_alone_reports_only_its_own_resources(client: httpx.Client) -> None:
    report = validate_alone(client)
    assert {r["focus_node"] for r in report["results"]} == {INITIATIVE}
    assert report["violations"] == len(OWN_FINDINGS)


def test_step_2_with_the_current_graph_it_conforms(client: httpx.Client) -> None:
    answer = client.post(
        "/api/validate",
        params={"current": "true"},
        content=EXAMPLE.read_bytes(),
        headers={"Content-Type": "text/turtle"},
    )
    assert answer.status_code == 200
    report = answer.json()
    assert (report["conforms"], report["violations"], report["results"]) == (True, 0, [])
    assert report["mode"].startswith("with-current")


def test_step_2_the_shacl_report_as_turtle(client: httpx.Client) -> None:
    answer = client.post(
        "/api/validate",
        params={"current": "true"},
        content=EXAMPLE.read_bytes(),
        headers={"Content-Type": "text/turtle", "Accept": "text/turtle"},
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/turtle")
    triples = list(ox.parse(answer.content, ox.RdfFormat.TURTLE))
    conforms = [t.object.value for t in triples if t.predicate.value == "http://www.w3.org/ns/shacl#conforms"]
    assert conforms == ["true"]


def test_a_broken_file_is_a_400_naming_line_and_column(client: httpx.Client) -> None:
    answer = client.post("/api/validate", files={"file": ("broken.ttl", BROKEN_SYNTAX.encode())})
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/problem+json"
    line = next(n for n, text in enumerate(BROKEN_SYNTAX.splitlines(), 1) if "@@@" in text)
    assert f"broken.ttl, line {line}, column" in answer.json()["detail"]


def test_a_shape_violation_is_reported_with_its_message(client: httpx.Client) -> None:
    answer = client.post(
        "/api/validate",
        params={"current": "true"},
        content=SHAPE_VIOLATION.encode(),
        headers={"Content-Type": "text/turtle"},
    )
    report = answer.json()
    assert answer.status_code == 200 and report["conforms"] is False
    assert [(r["focus_node"], r["path"]) for r in report["results"]] == [(INITIATIVE, "iop:city")]
    assert "place" in report["results"][0]["message"]


# --- steps 3 and 4: write, read, correct, trace -------------------------------------------------------


@pytest.fixture(scope="module")
def steps_3_and_4(client: httpx.Client) -> dict[str, httpx.Response]:
    """The guide's writes, in its order (after the validation steps): each answer by name."""
    turtle = {"Content-Type": "text/turtle"}
    done = {
        "anonymous": client.put(
            "/store", params={"graph": GRAPH}, content=EXAMPLE.read_bytes(), headers=turtle
        ),
        "violating": client.put(
            "/store", params={"graph": GRAPH}, content=SHAPE_VIOLATION.encode(), headers={**turtle, **AUTH}
        ),
    }
    done["before"] = client.get("/store", params={"graph": GRAPH}, headers={"Accept": "text/turtle"})
    done["write"] = client.put(
        "/store", params={"graph": GRAPH}, content=EXAMPLE.read_bytes(), headers={**turtle, **AUTH}
    )
    done["stored"] = client.get("/store", params={"graph": GRAPH}, headers={"Accept": "text/turtle"})
    done["page"] = client.get(
        "/id/initiative/helsinki-district-digital-twins", headers={"Accept": "text/html"}
    )
    done["correction"] = client.post(
        "/update", content=CORRECTION, headers={"Content-Type": "application/sparql-update", **AUTH}
    )
    return done


def test_step_3_writes_need_the_token(steps_3_and_4: dict[str, httpx.Response]) -> None:
    assert steps_3_and_4["anonymous"].status_code == 401
    assert steps_3_and_4["anonymous"].headers["content-type"] == "application/problem+json"


def test_step_3_a_shape_violation_writes_nothing(steps_3_and_4: dict[str, httpx.Response]) -> None:
    refused = steps_3_and_4["violating"]
    assert refused.status_code == 422
    assert any(r["path"] == "iop:city" for r in refused.json()["report"]["results"])
    assert steps_3_and_4["before"].status_code == 404


def test_step_3_the_write_lands_with_its_provenance(steps_3_and_4: dict[str, httpx.Response]) -> None:
    written = steps_3_and_4["write"]
    assert written.status_code == 201, written.text
    assert 'rel="http://www.w3.org/ns/prov#has_provenance"' in written.headers["link"]
    assert len(list(ox.parse(steps_3_and_4["stored"].content, ox.RdfFormat.TURTLE))) == TRIPLES
    page = steps_3_and_4["page"]
    assert page.status_code == 200 and "<h1>Helsinki district digital twins</h1>" in page.text


def test_step_4_the_correction(steps_3_and_4: dict[str, httpx.Response], client: httpx.Client) -> None:
    assert steps_3_and_4["correction"].status_code == 204, steps_3_and_4["correction"].text
    stored = client.get("/store", params={"graph": GRAPH}, headers={"Accept": "text/turtle"})
    triples = list(ox.parse(stored.content, ox.RdfFormat.TURTLE))
    assert len(triples) == TRIPLES + 1
    assert any(t.predicate.value.endswith("#isActive") and t.object.value == "false" for t in triples)


def test_step_4_the_guides_provenance_query(
    steps_3_and_4: dict[str, httpx.Response], client: httpx.Client
) -> None:
    answer = client.post("/sparql", data={"query": PROVENANCE_QUERY}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    mine = [row for row in answer.text.strip().splitlines()[1:] if GRAPH in row]
    assert len(mine) == 2 and all("city-of-helsinki" in row for row in mine)  # the write and the correction


def test_step_4_the_provenance_is_recorded(
    steps_3_and_4: dict[str, httpx.Response], client: httpx.Client
) -> None:
    """The guide's query with its missing prefix declared (what a steward gets once the guide is fixed)."""
    query = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" + PROVENANCE_QUERY
    answer = client.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    mine = [row for row in answer.text.strip().splitlines()[1:] if GRAPH in row]
    assert len(mine) == 2 and all("city-of-helsinki" in row for row in mine)


# --- the /validate form in a browser ----------------------------------------------------------------------


@NEEDS_CHROMIUM
@pytest.mark.browser
def test_the_validate_form_in_chromium(server: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text(BROKEN_SYNTAX, encoding="utf-8")
    with chromium_page() as page:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.set_default_timeout(120_000)  # a loaded 2-core machine validates slowly
        page.goto(server + "/")
        page.get_by_role("link", name="Validate", exact=True).click()  # linked from every page
        assert page.url == server + "/validate"
        guide = page.get_by_role("link", name="adding an initiative")
        assert guide.get_attribute("href") == "/guides/add-an-initiative"

        page.set_input_files("#file", str(EXAMPLE))
        page.click("form.validate button[type=submit]")
        assert page.inner_text("#verdict") == "Does not conform"
        assert page.locator("#report table.results tbody tr").count() >= len(OWN_FINDINGS)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # the table wraps
        assert EXAMPLE.name in page.inner_text("#last-file")  # a file input cannot be refilled: it is named
        page.screenshot(path=str(ARTIFACTS / "validate-alone.png"), full_page=True)

        page.set_input_files("#file", str(EXAMPLE))
        page.check("#current")
        page.click("form.validate button[type=submit]")
        assert page.inner_text("#verdict") == "Conforms"
        assert page.is_checked("#current")  # the form keeps the checkbox

        page.set_input_files("#file", [])
        page.fill("#text", SHAPE_VIOLATION)
        page.select_option("#syntax", "text/turtle")
        page.click("form.validate button[type=submit]")
        assert page.inner_text("#verdict") == "Does not conform"
        assert "iop:city" in page.inner_text("#report table.results")
        assert page.input_value("#text") == SHAPE_VIOLATION  # the pasted text stays
        assert page.input_value("#syntax") == "text/turtle" and page.is_checked("#current")
        page.screenshot(path=str(ARTIFACTS / "validate-violation.png"), full_page=True)

        page.fill("#text", "")
        page.set_input_files("#file", str(broken))
        page.click("form.validate button[type=submit]")
        assert "line" in page.inner_text("#error") and "column" in page.inner_text("#error")
        page.screenshot(path=str(ARTIFACTS / "validate-broken.png"), full_page=True)


# --- the command line ------------------------------------------------------------------------------------


def cli(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOPGRAPH_")}
    env.update({"IOPGRAPH_ROOT": str(ROOT), "IOPGRAPH_STORE_PATH": str(store)})
    return subprocess.run(
        [sys.executable, "-m", "iopgraph.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_line(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert cli("validate", str(EXAMPLE), store=store).returncode == 0
    broken, violating = tmp_path / "broken.ttl", tmp_path / "violating.ttl"
    broken.write_text(BROKEN_SYNTAX, encoding="utf-8")
    violating.write_text(SHAPE_VIOLATION, encoding="utf-8")
    unreadable = cli("validate", str(broken), store=store)
    assert unreadable.returncode == 2 and "line" in unreadable.stderr + unreadable.stdout
    bad = cli("validate", str(violating), store=store)
    assert bad.returncode == 1 and "iop:city" in bad.stdout + bad.stderr

    loaded = cli("load", str(EXAMPLE), "--graph", GRAPH, "--agent", "city-of-helsinki", store=store)
    assert loaded.returncode == 0, loaded.stderr
    assert f"+{TRIPLES} -0 triples" in loaded.stdout + loaded.stderr
    refused = cli("load", str(violating), "--graph", GRAPH, "--agent", "city-of-helsinki", store=store)
    assert refused.returncode == 1
