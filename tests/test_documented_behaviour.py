"""What the README promises about exit codes, media types and content negotiation, on a real server.

Issue 10: item 9 (`iopgraph build` exits 3 while a running server holds the store; a
``text/plain`` upload gets the documented 415) and item 10 (``?format=json`` on /api/*
gives JSON-LD, ``/id/…`` answers ``Accept: application/json`` with JSON-LD as
``application/json``).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import httpx
import pytest

from support.paths import BIN
from support.project import build_project
from support.server import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("documented")
    root = build_project(folder)
    env = {
        "IOPGRAPH_ROOT": str(root),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
    }
    with ServerProcess(folder, env) as running:
        yield running


def test_build_exits_3_while_a_server_holds_the_store(server: ServerProcess) -> None:
    done = subprocess.run(
        [str(BIN / "iopgraph"), "build"],
        env=server.env,
        cwd=server.folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "iopgraph serve" in done.stderr  # says what holds the store


@pytest.mark.parametrize("path", ["/api/validate", "/api/validate?current=true"])
def test_a_text_plain_upload_gets_415(server: ServerProcess, path: str) -> None:
    r = httpx.post(
        server.url + path,
        content=b"<http://example.org/a> <http://example.org/b> 1 .",
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code == 415, r.text
    assert r.json()["code"] == "unsupported-media-type" and "text/turtle" in r.json()["detail"]


def test_format_json_on_a_collection_gives_json_ld(server: ServerProcess) -> None:
    r = httpx.get(server.url + "/api/challenges", params={"format": "json"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/ld+json")
    assert r.json()["@context"] == server.url + "/context/v1.jsonld"


def test_format_json_on_sparql_is_still_sparql_results(server: ServerProcess) -> None:
    r = httpx.get(server.url + "/sparql", params={"query": "ASK {}", "format": "json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-results+json")


def _any_resource(server: ServerProcess) -> str:
    doc = httpx.get(server.url + "/api/initiatives", params={"limit": 1}).json()
    return str(doc["member"][0]["@id"]).replace("https://w3id.org/iopgraph", "")


def test_a_resource_answers_application_json_with_json_ld(server: ServerProcess) -> None:
    path = _any_resource(server)
    r = httpx.get(server.url + path, headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert doc["@context"] == server.url + "/context/v1.jsonld"
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in r.headers["link"]
    assert (
        httpx.get(server.url + path, params={"format": "json"})
        .headers["content-type"]
        .startswith("application/ld+json")
    )
