"""The real `iopgraph serve` process: JSON access log on stderr, graceful shutdown, restart on the same store."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from support.project import build_project
from support.reliability import TOKEN, record
from support.server import ServerProcess

RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
#: About 5 million rows to count on the fixture graph: a couple of seconds of work in a query worker.
SLOW_QUERY = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a a ?t . ?b a ?u . ?c {RDFS_LABEL} ?l }}"


def count(url: str, pattern: str) -> int:
    response = httpx.get(
        url + "/sparql",
        params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    return {
        "IOPGRAPH_ROOT": str(build_project(tmp_path)),
        "IOPGRAPH_STORE_PATH": str(tmp_path / "store"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_QUERY_TIMEOUT": "60",
        "IOPGRAPH_SHUTDOWN_TIMEOUT": "30",
    }


def test_access_log_lines_are_json_on_stderr(tmp_path: Path, server_env: dict[str, str]) -> None:
    with ServerProcess(tmp_path, server_env) as server:
        response = httpx.get(server.url + "/readyz", headers={"X-Request-ID": "probe-1"})
        assert response.status_code == 200
        time.sleep(0.2)
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    probe = [line for line in lines if line["request_id"] == "probe-1"]
    assert len(probe) == 1
    assert (probe[0]["path"], probe[0]["status"], probe[0]["client"]) == ("/readyz", 200, "127.0.0.1")
    assert ' - "GET /readyz' not in server.log()  # uvicorn's own access line is replaced by ours


def test_sigterm_lets_an_in_flight_query_finish_then_closes_the_store(
    tmp_path: Path, server_env: dict[str, str]
) -> None:
    server = ServerProcess(tmp_path, server_env)
    with server:
        server.wait_until("/readyz", 60)
        types, labels = count(server.url, "?a a ?t"), count(server.url, f"?c {RDFS_LABEL} ?l")
        workers = server.children()
        assert workers, "the server should run query worker processes"
        result: dict[str, object] = {}

        def slow() -> None:
            started = time.monotonic()
            response = httpx.get(
                server.url + "/sparql",
                params={"query": SLOW_QUERY},
                headers={"Accept": "application/sparql-results+json"},
                timeout=120,
            )
            result["status"] = response.status_code
            result["body"] = response.json() if response.status_code == 200 else response.text
            result["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.5)  # the query is now running in a worker
        assert thread.is_alive(), "the slow query ended before the signal; the test proves nothing"
        code = server.terminate(timeout=90)
        thread.join(timeout=90)
        record(
            "graceful shutdown",
            in_flight_query_status=result.get("status"),
            in_flight_query_seconds=round(float(result.get("seconds", 0)), 2),
            exit_code=code,
        )
        # uvicorn re-raises the signal once shut down, so the exit status is "killed by SIGTERM"
        assert code in (0, -signal.SIGTERM), server.log()[-3000:]
        assert "Application shutdown complete" in server.log()
        assert result["status"] == 200, result
        n = int(result["body"]["results"]["bindings"][0]["n"]["value"])  # type: ignore[index]
        assert n == types * types * labels
        # new connections are refused once shutdown began; the workers are gone
        with pytest.raises(httpx.TransportError):
            httpx.get(server.url + "/healthz", timeout=2)
        time.sleep(0.2)
        for pid in workers:
            assert (
                not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
            )
        # the store was closed cleanly: it opens again, unchanged, without a rebuild
        server.start()
        server.wait_until("/readyz", 60)
        assert count(server.url, "?a a ?t") == types
    assert "unchanged" in server.log().split("Started server process")[-1]


def test_sigkilled_server_leaves_no_orphan_query_workers(tmp_path: Path, server_env: dict[str, str]) -> None:
    with ServerProcess(tmp_path, server_env) as server:
        server.wait_until("/readyz", 60)
        workers = server.children()
        assert workers
        os.kill(server.pid, signal.SIGKILL)  # the server only: the workers must notice and exit by themselves
        server.process.wait(timeout=10)  # type: ignore[union-attr]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in workers):
            time.sleep(0.1)
        alive = [
            p
            for p in workers
            if Path(f"/proc/{p}").exists() and Path(f"/proc/{p}/stat").read_text().split()[2] != "Z"
        ]
        assert alive == []
