"""`iopgraph serve FILE` checks writes against `--shapes PATH` (IOPGRAPH_SHAPES), and against nothing without it.

Issue 11, item 8: served files used to be checked against the project's own
shapes, which know nothing of them. The start-up log says which shapes apply.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from support.reliability import TOKEN
from support.server import ServerProcess
from support.steward import FIXTURE, INVALID_PROJECT

AUTH = {"Authorization": f"Bearer {TOKEN}"}
GRAPH = "http://example.org/graph/served-write"


def _serve(folder: Path, *extra: str) -> ServerProcess:
    args = [str(FIXTURE / "ontology"), str(FIXTURE / "data"), *extra]
    return ServerProcess(
        folder, {"IOPGRAPH_WRITE_TOKEN": TOKEN, "IOPGRAPH_BASE_URL": "http://127.0.0.1"}, args=args
    )


def _put(server: ServerProcess) -> httpx.Response:
    return httpx.put(
        server.url + "/store",
        params={"graph": GRAPH},
        content=INVALID_PROJECT,
        headers={"Content-Type": "text/turtle", **AUTH},
        timeout=60,
    )


def test_served_files_are_checked_against_the_given_shapes(tmp_path: Path) -> None:
    with _serve(tmp_path, "--shapes", str(FIXTURE / "shapes")) as server:
        r = _put(server)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "shacl-violation"
        assert f"the shapes in {FIXTURE / 'shapes'}" in server.log()


def test_served_files_without_shapes_are_not_checked(tmp_path: Path) -> None:
    with _serve(tmp_path) as server:
        r = _put(server)
        assert r.status_code == 201, r.text
        assert "no shapes (served files" in server.log()


def test_broken_shapes_stop_the_start(tmp_path: Path) -> None:
    """The stewardship services are made at start-up: shapes that do not parse stop it, with the file named."""
    broken = tmp_path / "broken-shapes.ttl"
    broken.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n<x> a sh:NodeShape ;;; <")
    server = _serve(tmp_path, "--shapes", str(broken))
    try:
        server.start(timeout=120)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the server started with broken shapes")
    finally:
        server.stop()
    assert "broken-shapes.ttl" in server.log()
