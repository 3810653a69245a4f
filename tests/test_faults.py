"""Crash faults: SIGKILL the real server in the middle of a stream of writes, restart it, lose nothing.

Each cycle: two writer threads send SHACL-gated SPARQL Updates (five triples
each, one resource per update) to `iopgraph serve`; after a random moment the
server and its query workers are SIGKILLed (no shutdown, no flush: what a
power cut or the OOM killer does); the server is restarted on the same store.
Then every acknowledged write (204) must be there with all five triples, no
write may be there in part, and the whole dataset must still pass SHACL
validation. The figures (faults injected, writes acknowledged, writes lost,
partial writes) are printed at the end of the run.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from pathlib import Path

import httpx
import pytest

from support.clients import http_client
from support.paths import ROOT
from support.project import build_project
from support.reliability import TOKEN, record
from support.server import ServerProcess

GRAPH = "https://w3id.org/iopgraph/graph/steward/faults"
SUBJECT = "https://w3id.org/iopgraph/id/test/fault-"
PARTS = 5
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
#: The report structure alone conforms to the shapes, so "validation passes" means zero violations.
DATA = ROOT / "data" / "report.ttl"


def update_for(n: int) -> str:
    comments = ", ".join(f'"fault write {n} part {k}"' for k in range(PARTS))
    return (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{SUBJECT}{n}> rdfs:comment {comments} }} }}"
    )


class Writers:
    """Threads writing numbered resources until the server goes away (or ``stop`` is set)."""

    def __init__(self, url: str, numbers: itertools.count[int], threads: int = 2) -> None:
        self.url = url
        self.numbers = numbers
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.attempted: set[int] = set()
        self.acknowledged: set[int] = set()
        self.refused: list[tuple[int, int, str]] = []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self) -> None:
        with http_client() as client:
            while not self.stop.is_set():
                with self.lock:
                    n = next(self.numbers)
                    self.attempted.add(n)
                try:
                    response = client.post(self.url + "/update", content=update_for(n), headers=AUTH)
                except httpx.TransportError:
                    return  # the server is gone; this write's fate is unknown (all or nothing)
                with self.lock:
                    if response.status_code == 204:
                        self.acknowledged.add(n)
                    else:
                        self.refused.append((n, response.status_code, response.text[:300]))

    def __enter__(self) -> Writers:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=90)


def stored_writes(url: str) -> dict[int, int]:
    """Resource number → how many of its triples the store holds."""
    query = (
        f"SELECT ?s (COUNT(?o) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s "
        "<http://www.w3.org/2000/01/rdf-schema#comment> ?o } } GROUP BY ?s"
    )
    response = httpx.post(
        url + "/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    found = {}
    for row in response.json()["results"]["bindings"]:
        found[int(row["s"]["value"].removeprefix(SUBJECT))] = int(row["n"]["value"])
    return found


def whole_dataset_conforms(url: str) -> dict[str, object]:
    dump = httpx.get(url + "/store", headers={"Accept": "application/n-quads"}, timeout=60)
    assert dump.status_code == 200
    report = httpx.post(
        url + "/api/validate",
        content=dump.content,
        headers={"Content-Type": "application/n-quads", "Accept": "application/json"},
        timeout=120,
    )
    assert report.status_code == 200, report.text
    return report.json()


def crash_cycles(tmp_path: Path, cycles: int, seed: int) -> None:
    rng = random.Random(seed)
    env = {
        "IOPGRAPH_ROOT": str(build_project(tmp_path, data=[DATA])),
        "IOPGRAPH_STORE_PATH": str(tmp_path / "store"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_ACCESS_LOG": "false",
    }
    server = ServerProcess(tmp_path, env)
    numbers = itertools.count()
    acknowledged: set[int] = set()
    attempted: set[int] = set()
    killed_mid_write = 0
    try:
        server.start()
        server.wait_until("/readyz", 120)
        assert whole_dataset_conforms(server.url)["conforms"] is True  # the baseline the crashes must keep
        for _ in range(cycles):
            with Writers(server.url, numbers) as writers:
                time.sleep(rng.uniform(1.0, 3.0))
                server.kill()
            assert writers.refused == [], writers.refused[:3]
            acknowledged |= writers.acknowledged
            attempted |= writers.attempted
            killed_mid_write += len(writers.attempted - writers.acknowledged)
            server.start()
            server.wait_until("/readyz", 120)
            stored = stored_writes(server.url)
            lost = acknowledged - stored.keys()
            partial = {n: k for n, k in stored.items() if k != PARTS}
            assert not lost, f"acknowledged writes lost after SIGKILL: {sorted(lost)[:20]}"
            assert not partial, f"partial writes visible after SIGKILL: {partial}"
            assert stored.keys() <= attempted, "the store holds writes nobody sent"
        report = whole_dataset_conforms(server.url)
        record(
            f"faults: SIGKILL during writes (seed {seed})",
            faults_injected=cycles,
            writes_acknowledged=len(acknowledged),
            writes_in_flight_at_kill=killed_mid_write,
            writes_lost=len(acknowledged - stored.keys()),
            partial_writes=len(partial),
            violations_after=report["violations"],
        )
        assert report["conforms"] is True, report["results"][:3]
        assert len(acknowledged) >= cycles, "too few writes got through to prove anything"
        # and the write gate still works after the crashes
        response = httpx.post(
            server.url + "/update", content=update_for(next(numbers)), headers=AUTH, timeout=60
        )
        assert response.status_code == 204, response.text
    finally:
        server.stop()


def test_sigkill_during_writes_loses_no_acknowledged_write(tmp_path: Path) -> None:
    crash_cycles(tmp_path, cycles=3, seed=6)


@pytest.mark.slow
def test_sigkill_during_writes_many_times(tmp_path: Path) -> None:
    crash_cycles(tmp_path, cycles=15, seed=66)
