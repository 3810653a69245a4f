"""Remote-store faults: the Oxigraph server behind the service crashes, hangs, and comes back.

The service (`iopgraph serve`, a real process) runs in remote-store mode in
front of a real `oxigraph serve` on loopback. While the store is down every
request that needs it gets a prompt 503 with a message naming the store, the
service itself stays alive (``/healthz``) but not ready (``/readyz``); while
the store hangs (SIGSTOP) requests end at the query timeout with 504 instead
of piling up; when the store is back everything answers again, with no
restart of the service and no request left hanging.
"""

from __future__ import annotations

import itertools
import shutil
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from support.clients import http_client
from support.oxigraph import OxigraphServer
from support.paths import ROOT
from support.project import build_project
from support.reliability import TOKEN, record
from support.server import ServerProcess

OXIGRAPH = Path(sys.executable).with_name("oxigraph")
pytestmark = pytest.mark.skipif(
    not OXIGRAPH.exists() and not shutil.which("oxigraph"),
    reason="the oxigraph server binary (pip package `oxigraph`) is not installed",
)
DATA = ROOT / "data" / "report.ttl"
REPORT = "https://w3id.org/iopgraph/id/report/d06-02"
ASK = {"query": f"ASK {{ <{REPORT}> a ?type }}"}
_fresh = itertools.count()


def uncached() -> dict[str, str]:
    """A query the result cache cannot answer (each text is new), so it must reach the store."""
    return {"query": f"ASK {{ <{REPORT}> a ?type }} # {next(_fresh)}"}


JSON = {"Accept": "application/sparql-results+json"}
UPDATE = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
INSERT = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> INSERT DATA { GRAPH "
    "<https://w3id.org/iopgraph/graph/steward/remote> { <https://w3id.org/iopgraph/id/test/remote> "
    'rdfs:comment "written while the store was up" } }'
)


def timed(call: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()  # type: ignore[operator]
    return response, time.monotonic() - started


def test_remote_store_down_hung_and_back(tmp_path: Path) -> None:
    project = build_project(tmp_path, data=[DATA])
    store = OxigraphServer(tmp_path / "oxigraph")
    store.folder.mkdir()
    store.load_project(project)
    store.start("--timeout-s", "30")
    env = {
        "IOPGRAPH_ROOT": str(project),
        "IOPGRAPH_STORE_URL": store.url + "/query",
        "IOPGRAPH_STORE_UPDATE_URL": store.url + "/update",
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_QUERY_TIMEOUT": "3",
        "IOPGRAPH_ACCESS_LOG": "false",
    }
    service = ServerProcess(tmp_path, env)
    faults = 0
    try:
        service.start()
        service.wait_until("/readyz", 60)
        client = http_client(service.url, timeout=30)
        assert client.get("/sparql", params=ASK, headers=JSON).json()["boolean"] is True
        assert (
            client.get(
                REPORT.replace("https://w3id.org/iopgraph", ""), headers={"Accept": "text/turtle"}
            ).status_code
            == 200
        )

        # --- the store crashes ------------------------------------------------------------------
        store.crash()
        faults += 1
        response, seconds = timed(lambda: client.get("/sparql", params=uncached(), headers=JSON))
        assert response.status_code == 503, response.text
        problem = response.json()
        assert problem["code"] == "upstream-unavailable"
        assert "cannot be reached" in problem["detail"] and str(store.port) not in problem["detail"]
        assert seconds < 10
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["code"] == "not-ready"
        assert "cannot be reached" in ready.json()["detail"]
        # the view fetched before the crash is still current (no write since): the representation cache has it
        cached = client.get(
            REPORT.replace("https://w3id.org/iopgraph", ""), headers={"Accept": "text/turtle"}
        )
        assert cached.status_code == 200
        # a view that needs the store gets a problem
        view = client.get(
            REPORT.replace("https://w3id.org/iopgraph", ""), headers={"Accept": "application/n-triples"}
        )
        assert view.status_code == 503 and view.headers["content-type"] == "application/problem+json"
        write = client.post("/update", content=INSERT, headers=UPDATE)
        assert write.status_code == 503, write.text
        # many clients at once: every one answered promptly, none left hanging
        with ThreadPoolExecutor(16) as pool:
            results = list(
                pool.map(
                    lambda _: timed(
                        lambda: httpx.get(
                            service.url + "/sparql", params=uncached(), headers=JSON, timeout=30
                        )
                    ),
                    range(48),
                )
            )
        assert {r.status_code for r, _ in results} == {503}
        worst_down = max(s for _, s in results)
        assert worst_down < 10

        # --- it comes back: no restart of the service needed ---------------------------------------
        store.start("--timeout-s", "30")
        service.wait_until("/readyz", 30)
        assert client.get("/sparql", params=uncached(), headers=JSON).json()["boolean"] is True
        assert client.get("/sparql", params=ASK, headers=JSON).json()["boolean"] is True
        write = client.post("/update", content=INSERT, headers=UPDATE)
        assert write.status_code == 204, write.text

        # --- the store hangs (accepts connections, never answers) -----------------------------------
        store.signal(signal.SIGSTOP)
        faults += 1
        fresh = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } # not cached"}
        response, seconds = timed(lambda: client.get("/sparql", params=fresh, headers=JSON))
        assert response.status_code == 504, response.text
        assert response.json()["code"] == "upstream-timeout"
        assert "IOPGRAPH_QUERY_TIMEOUT" in response.json()["detail"]
        assert seconds < 3 + 10
        store.signal(signal.SIGCONT)
        service.wait_until("/readyz", 30)
        count = client.get("/sparql", params=fresh, headers=JSON)
        assert count.status_code == 200 and int(count.json()["results"]["bindings"][0]["n"]["value"]) > 0
        metrics = client.get("/metrics").text
        assert "iopgraph_http_requests_in_progress 1.0" in metrics  # only this scrape: nothing hung
        record(
            "faults: remote store down",
            faults_injected=faults,
            requests_while_down=len(results) + 4,
            worst_seconds_while_down=round(worst_down, 2),
            hung_requests=0,
            recovered_without_restart=True,
        )
    finally:
        service.stop()
        store.stop()
