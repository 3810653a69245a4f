"""The app's state is one AppContext made in the lifespan (issue 12, item 2).

* a broken ``shapes/`` stops ``iopgraph serve`` at start-up (exit code, file named), not at the first write;
* a request outside the lifespan gets a 503 ``not-ready`` problem, never a half-made service;
* nothing but the providers reads ``app.state``, and nothing probes a backend's attributes
  (``Backend.health()`` / ``Backend.stats()`` say what readiness and metrics need).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from iopgraph.app import create_app
from iopgraph.core.settings import Settings
from support.project import build_project
from support.server import ServerProcess

SRC = Path(__file__).resolve().parents[1] / "src" / "iopgraph"


def test_broken_project_shapes_stop_the_start(tmp_path: Path) -> None:
    root = build_project(tmp_path)
    broken = root / "shapes" / "core.ttl"
    broken.write_text(broken.read_text("utf-8") + "\nex:Broken a sh:NodeShape ;;; <\n", "utf-8")
    env = {"IOPGRAPH_ROOT": str(root), "IOPGRAPH_STORE_PATH": str(tmp_path / "store")}
    server = ServerProcess(tmp_path, env)
    server.start(wait_ready=False)
    assert server.process is not None
    try:
        code = server.process.wait(timeout=180)
    except subprocess.TimeoutExpired:
        server.stop()
        raise AssertionError(
            f"the server kept running with a broken shapes/:\n{server.log()[-3000:]}"
        ) from None
    log = server.log()
    assert code != 0, log[-3000:]
    # One line for a person: the file, the line, what is wrong.
    line = next((x for x in log.splitlines() if "iopgraph cannot start:" in x), None)
    assert line is not None, log[-3000:]
    assert re.search(r"shapes/core\.ttl, line \d+, column \d+: The prefix ex: has not been declared", line), (
        line
    )


def test_requests_outside_the_lifespan_get_503_not_ready(tmp_path: Path) -> None:
    app = create_app(Settings(root=build_project(tmp_path), store_path=tmp_path / "store", query_workers=1))
    client = TestClient(app)  # no `with`: the lifespan has not run, there is no AppContext
    for path in ("/api/challenges", "/ldes", "/dumps/iopgraph.ttl", "/sparql?query=ASK%20%7B%7D"):
        response = client.get(path)
        assert response.status_code == 503, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not-ready"
        assert "not open" in response.json()["detail"]


def test_the_lifespan_makes_every_service_before_the_first_request(tmp_path: Path) -> None:
    app = create_app(Settings(root=build_project(tmp_path), store_path=tmp_path / "store", query_workers=1))
    with TestClient(app):
        context = app.state.context
        for name in ("backend", "sparql", "stewardship", "search", "ldes", "templates", "forms", "proposals"):
            assert getattr(context, name) is not None, name
        assert (tmp_path / "store.proposals.sqlite3").exists()  # opened at start, not on first use
        assert context.stewardship.gate.backend is context.backend
    assert app.state.context is None  # let go at shutdown


def test_only_the_providers_read_app_state() -> None:
    readers = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"app\.state\.(?!context\b)", path.read_text("utf-8"))
        or re.search(r"getattr\((request\.)?app\.state", path.read_text("utf-8"))
    )
    assert readers == [], readers
    touching = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "app.state.context" in path.read_text("utf-8") and not path.name == "context.py"
    )
    assert touching == ["app.py", "http/providers.py"], touching


def test_no_attribute_probing_of_backends() -> None:
    """Readiness, metrics and the write gate ask the Backend protocol, not ``getattr(backend, ...)``."""
    probes = [
        f"{path.relative_to(SRC)}: {m.group(0)}"
        for path in SRC.rglob("*.py")
        for m in re.finditer(
            r"getattr\((backend|pool|state|self\.state|sparql)\b[^)]*\)", path.read_text("utf-8")
        )
    ]
    assert probes == [], probes
