"""SERVICE-evasion tricks against a live ``iopgraph serve`` with a loopback listener: 0 connections, clear problems.

The query-text check of SERVICE is a fast first answer that tricks can get
past (escapes in prefixed names turn the rest of a line into a "comment" or a
"string" for the lexer). What holds is the sandbox: a query worker has no
network, so a SERVICE that slips through fails to connect (502
``service-unreachable``, or no solutions with SILENT). In remote-store mode the
store runs queries with its own network, so the service parses each query in
a sandboxed worker first (:mod:`iopgraph.query.screen`): a hidden SERVICE is
found (403) or the query does not parse and is refused (400); the store never
sees it. Each case states the one answer it gets in each mode.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from support.oxigraph import oxigraph_serve
from support.paths import ROOT
from support.server import ServerProcess
from test_isolation_queries import Listener

EX = "PREFIX ex: <http://example.org/>\n"
JSON = {"Accept": "application/sparql-results+json"}

#: name → (query with {U} = the listener's URL and {P} = its base, local answer, remote-store answer).
#: An answer is (status, problem code); 200 has code "".
CASES: dict[str, tuple[str, tuple[int, str], tuple[int, str]]] = {
    "plain": (
        "SELECT * WHERE { SERVICE <{U}> { ?s ?p ?o } }",
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "escaped hash in a prefixed name": (
        EX + "SELECT * WHERE { VALUES ?q { ex:a\\#b } SERVICE <{U}> { ?x ?y ?z } }",
        (502, "service-unreachable"),
        (400, "sparql-syntax-error"),
    ),
    "escaped hash, SERVICE SILENT": (
        EX + "SELECT * WHERE { VALUES ?q { ex:a\\#b } SERVICE SILENT <{U}> { ?x ?y ?z } }",
        (200, ""),
        (400, "sparql-syntax-error"),
    ),
    "escaped quote in a prefixed name": (
        EX + "SELECT * WHERE { VALUES ?q { ex:a\\'b } SERVICE <{U}> { ?x ?y ?z } }",
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "endpoint as a prefixed name": (
        "PREFIX loc: <{P}>\nSELECT * WHERE { SERVICE loc:x { ?s ?p ?o } }",
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "prefixed endpoint after an escape": (
        "PREFIX loc: <{P}>\n" + EX + "SELECT * WHERE { VALUES ?q { ex:a\\#b } SERVICE loc:x { ?s ?p ?o } }",
        (502, "service-unreachable"),
        (400, "sparql-syntax-error"),
    ),
    "hidden inside OPTIONAL": (
        EX + "SELECT * WHERE { ?s ?p ?o OPTIONAL { VALUES ?q { ex:a\\#b } "
        "SERVICE <{U}> { ?s ?p ?x } } } LIMIT 1",
        (502, "service-unreachable"),
        (400, "sparql-syntax-error"),
    ),
    "nested subquery": (
        "SELECT * WHERE { { SELECT * WHERE { SERVICE <{U}> { ?s ?p ?o } } } }",
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "inside FILTER EXISTS": (
        "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <{U}> { ?s ?p ?o } } } LIMIT 1",
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "inside MINUS": (
        "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <{U}> { ?s ?p ?o } } } LIMIT 1",
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "endpoint variable bound by VALUES": (
        "SELECT * WHERE { VALUES ?e { <{U}> } SERVICE ?e { ?s ?p ?o } }",
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "lower-case keyword": (
        "select * where { service <{U}> { ?s ?p ?o } }",
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "comment between keyword and IRI": (
        "SELECT * WHERE { SERVICE # c\n <{U}> { ?s ?p ?o } }",
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "unicode escape in the keyword": (
        "SELECT * WHERE { SERVIC\\u0045 <{U}> { ?s ?p ?o } }",
        (400, "sparql-syntax-error"),
        (403, "service-not-allowed"),
    ),
    "relative endpoint against BASE": (
        "BASE <{P}>\nSELECT * WHERE { SERVICE <x> { ?s ?p ?o } }",
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "string with an escaped quote first": (
        'SELECT * WHERE { BIND("a\\"b" AS ?v) SERVICE <{U}> { ?s ?p ?o } }',
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "CONSTRUCT": (
        "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{U}> { ?s ?p ?o } }",
        (403, "service-not-allowed"),
        (403, "service-not-allowed"),
    ),
    "ASK": ("ASK { SERVICE <{U}> { ?s ?p ?o } }", (403, "service-not-allowed"), (403, "service-not-allowed")),
    "FROM names a graph, fetches nothing": (
        "SELECT * FROM <{U}> WHERE { ?s ?p ?o } LIMIT 1",
        (200, ""),
        (200, ""),
    ),
}


def run_corpus(base: str, listener: Listener, mode: int) -> list[str]:
    """Send every case; return the mismatches (empty when every answer is the expected one)."""
    url, prefix = f"http://127.0.0.1:{listener.port}/x", f"http://127.0.0.1:{listener.port}/"
    wrong = []
    for name, (template, *answers) in CASES.items():
        query = template.replace("{U}", url).replace("{P}", prefix)
        response = httpx.get(base + "/sparql", params={"query": query}, headers=JSON, timeout=60)
        problem = response.headers.get("content-type", "").startswith("application/problem+json")
        got = (response.status_code, response.json()["code"] if problem else "")
        if got != answers[mode]:
            wrong.append(f"{name}: {got} != {answers[mode]} {response.text[:200]}")
        if response.status_code >= 400:
            assert problem, name
            assert (
                "127.0.0.1:" + str(listener.port) not in response.json()["detail"]
                or got[1] == "service-not-allowed"
            )
    # Through the named-query API: a parameter is one RDF term; text around it cannot add a SERVICE.
    named = base + "/api/queries/mitigations-for-challenge"
    response = httpx.get(named, params={"challenge": url}, headers=JSON, timeout=60)
    if response.status_code != 200:
        wrong.append(f"named query with a loopback IRI: {response.status_code}")
    response = httpx.get(named, params={"challenge": f"{url}> }} SERVICE <{url}"}, headers=JSON, timeout=60)
    if (response.status_code, response.json().get("code")) != (400, "invalid-parameter"):
        wrong.append(f"named query injection: {response.status_code} {response.text[:200]}")
    return wrong


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    try:
        yield found
    finally:
        found.close()


def test_service_tricks_get_no_connection_from_the_embedded_store(
    tmp_path: Path, listener: Listener, live_server: Callable[..., ServerProcess]
) -> None:
    server = live_server({"IOPGRAPH_ROOT": str(ROOT), "IOPGRAPH_STORE_PATH": str(tmp_path / "store")})
    wrong = run_corpus(server.url, listener, 0)
    assert httpx.get(server.url + "/sparql", params={"query": "ASK {}"}).status_code == 200
    log = server.log()
    assert wrong == []
    assert listener.accepted == 0
    assert "Traceback" not in log


@contextmanager
def oxigraph_process(folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real `oxigraph serve` on loopback holding a few shipped data files: (its URL, its process)."""
    with oxigraph_serve(
        folder, [(file, None) for file in sorted((ROOT / "data").glob("*.ttl"))[:3]]
    ) as served:
        yield served


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[str]:
    with oxigraph_process(tmp_path) as (base, _):
        yield base


def test_service_tricks_never_reach_a_remote_store(tmp_path: Path, listener: Listener, oxigraph: str) -> None:
    # The store itself would call the listener: a query that reaches it with a SERVICE makes a connection.
    direct = httpx.get(
        oxigraph + "/query",
        timeout=30,
        headers=JSON,
        params={
            "query": f"SELECT * WHERE {{ SERVICE SILENT <http://127.0.0.1:{listener.port}/x> {{ ?s ?p ?o }} }}"
        },
    )
    assert direct.status_code == 200
    for _ in range(50):
        if listener.accepted:
            break
        time.sleep(0.1)
    assert listener.accepted >= 1, (
        "the remote store did not call the listener, so this test would prove nothing"
    )
    before = listener.accepted
    env = {"IOPGRAPH_ROOT": str(ROOT), "IOPGRAPH_STORE_URL": oxigraph + "/query"}
    with ServerProcess(tmp_path, env) as server:
        server.wait_until("/readyz", 120)
        wrong = run_corpus(server.url, listener, 1)
        log = server.log()
    assert wrong == []
    time.sleep(0.5)
    assert listener.accepted == before
    assert "Traceback" not in log
