"""Uploads, validation and writes run isolated and bounded (issue 9, items 2, 3 and 5), on a live server.

Each hostile request goes to a real `iopgraph serve` of the shipped graph on a
random port. Each gets its documented status and problem+json; afterwards the
server is up, a cheap ASK answers promptly, and the store's N-Quads are
unchanged. A loopback listener shows that no SERVICE in a rejected update was
fetched.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.paths import ROOT
from support.reliability import TOKEN, recorder
from support.server import ServerProcess

AUTH = {"Authorization": f"Bearer {TOKEN}"}
PROBLEM = "application/problem+json"
NESTED_LIST = (
    '{"@id": "http://example.org/s", "http://example.org/p": '
    + '{"@list": [' * 5000
    + "1"
    + "]}" * 5000
    + "}"
)
NESTED_CONTEXT = (
    '{"@context": '
    + '{"p": {"@id": "http://example.org/p", "@context": ' * 5000
    + "{}"
    + "}}" * 5000
    + ', "@id": "http://example.org/s", "p": 1}'
)
ASK = "ASK { ?s ?p ?o }"
#: Deep enough to overflow even a worker's big stack (the sandbox gives its parser 512 MB).
CRASHING_LIST = (
    '{"@id": "http://example.org/s", "http://example.org/p": '
    + '{"@list": [' * 1_000_000
    + "1"
    + "]}" * 1_000_000
    + "}"
)


def _env(folder: Path, **extra: str) -> dict[str, str]:
    return {
        "IOPGRAPH_ROOT": str(ROOT),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_BASE_URL": "http://127.0.0.1",
        **extra,
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("isolation-writes")
    env = _env(
        folder, IOPGRAPH_VALIDATION_TIMEOUT="4", IOPGRAPH_WRITE_TIMEOUT="20", IOPGRAPH_QUERY_WORKERS="2"
    )
    with ServerProcess(folder, env) as srv:
        srv.wait_until("/readyz", 180)
        yield srv


def store_hash(server: ServerProcess) -> str:
    r = httpx.get(server.url + "/store", headers={"Accept": "application/n-quads"}, timeout=60)
    assert r.status_code == 200
    return hashlib.sha256(b"\n".join(sorted(r.content.splitlines()))).hexdigest()


def ask_seconds(server: ServerProcess) -> float:
    started = time.monotonic()
    r = httpx.post(
        server.url + "/sparql",
        data={"query": ASK},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["boolean"] is True
    return time.monotonic() - started


def assert_problem(r: httpx.Response, status: int, code: str, words: str) -> None:
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == code, body
    assert words in body["detail"], body["detail"]


@pytest.fixture()
def unchanged(server: ServerProcess) -> Iterator[None]:
    """The store is the same after the test, the server up and a cheap ASK prompt."""
    baseline = ask_seconds(server)
    before = store_hash(server)
    yield
    assert server.process is not None and server.process.poll() is None, "the server died"
    assert ask_seconds(server) < max(1.0, 10 * baseline)
    assert store_hash(server) == before


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize("document", [NESTED_LIST, NESTED_CONTEXT], ids=["nested-list", "nested-context"])
def test_deep_json_ld_is_refused_before_any_parser(server: ServerProcess, document: str) -> None:
    r = httpx.post(
        server.url + "/api/validate",
        content=document,
        headers={"Content-Type": "application/ld+json"},
        timeout=60,
    )
    assert_problem(r, 400, "rdf-syntax-error", "IOPGRAPH_MAX_RDF_DEPTH")
    r = httpx.put(
        server.url + "/store",
        params={"graph": "http://example.org/g"},
        content=document,
        headers={"Content-Type": "application/ld+json", **AUTH},
        timeout=60,
    )
    assert_problem(r, 400, "rdf-syntax-error", "IOPGRAPH_MAX_RDF_DEPTH")


@pytest.mark.usefixtures("unchanged")
def test_deep_rdf_xml_is_refused(server: ServerProcess) -> None:
    inner = "<rdf:Description><p:x>" * 3000 + "1" + "</p:x></rdf:Description>" * 3000
    document = (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:p="http://example.org/">'
        + inner
        + "</rdf:RDF>"
    )
    r = httpx.post(
        server.url + "/api/validate",
        content=document,
        headers={"Content-Type": "application/rdf+xml"},
        timeout=60,
    )
    assert_problem(r, 400, "rdf-syntax-error", "levels deep")


def test_json_ld_that_crashed_the_server_reaches_a_parser_only_in_a_worker(tmp_path: Path) -> None:
    """With the depth screen lifted, the JSON-LD that segfaulted the server reaches a parser, in a worker:
    5,000 nested @list parse there (its big stack); 5,000 nested scoped @context still kill the worker
    (SIGABRT), which gives 400 and is replaced, while the server answers on."""
    env = _env(tmp_path, IOPGRAPH_MAX_RDF_DEPTH="100000000")
    with ServerProcess(tmp_path, env) as srv:
        srv.wait_until("/readyz", 180)
        before = store_hash(srv)
        r = httpx.post(
            srv.url + "/api/validate",
            content=NESTED_LIST,
            headers={"Content-Type": "application/ld+json"},
            timeout=120,
        )
        assert r.status_code == 200, r.text[:300]
        assert r.json()["triples"] == 10001
        r = httpx.post(
            srv.url + "/api/validate",
            content=NESTED_CONTEXT,
            headers={"Content-Type": "application/ld+json"},
            timeout=120,
        )
        assert_problem(r, 400, "isolated-worker-crashed", "crash")
        r = httpx.put(
            srv.url + "/store",
            params={"graph": "http://example.org/g"},
            content=NESTED_CONTEXT,
            headers={"Content-Type": "application/ld+json", **AUTH},
            timeout=120,
        )
        assert_problem(r, 400, "isolated-worker-crashed", "nothing was applied")
        assert srv.process is not None and srv.process.poll() is None
        srv.wait_until("/readyz", 120)
        ask_seconds(srv)
        assert store_hash(srv) == before


@pytest.mark.usefixtures("unchanged")
def test_an_update_that_crashes_the_error_locator_gets_400(server: ServerProcess) -> None:
    text = (
        'INSERT { <http://example.org/a> <http://example.org/b> "x"@en--ltr } WHERE '
        + "{" * 20000
        + "}" * 20000
    )
    r = httpx.post(
        server.url + "/update",
        content=text,
        headers={"Content-Type": "application/sparql-update", **AUTH},
        timeout=120,
    )
    assert r.status_code == 400, r.text[:300]
    assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.usefixtures("unchanged")
def test_a_rejected_update_fetches_no_service(server: ServerProcess) -> None:
    with recorder() as rec:
        text = (
            'INSERT { <http://example.org/a> <http://example.org/b> "x"@en--ltr } WHERE { '
            f"SERVICE <{rec.url}/sparql> {{ ?s ?p ?o }} }}"
        )
        r = httpx.post(
            server.url + "/update",
            content=text,
            headers={"Content-Type": "application/sparql-update", **AUTH},
            timeout=60,
        )
        assert r.status_code == 400, r.text[:300]
        assert r.headers["content-type"].startswith(PROBLEM)
        time.sleep(0.5)
        assert rec.requests == []


def _mitigations(n: int) -> str:
    lines = [
        "@prefix iop: <https://w3id.org/iopgraph/ontology#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix m: <https://w3id.org/iopgraph/id/mitigation/> .",
    ]
    lines += [f'm:x{i} a iop:Mitigation ; rdfs:label "Mitigation {i}"@en .' for i in range(n)]
    return "\n".join(lines)


@pytest.mark.usefixtures("unchanged")
def test_a_validation_past_its_time_limit_is_stopped_with_503(server: ServerProcess) -> None:
    body = _mitigations(20_000)
    assert len(body) > 1_000_000
    r = httpx.post(
        server.url + "/api/validate", content=body, headers={"Content-Type": "text/turtle"}, timeout=120
    )
    assert_problem(r, 503, "stopped-at-time-limit", "IOPGRAPH_VALIDATION_TIMEOUT")


def test_a_million_blank_nodes_are_refused_by_the_quad_bound(server: ServerProcess) -> None:
    before = store_hash(server)
    body = "@prefix e: <http://example.org/> .\n" + "[] e:p 1 .\n" * 1_000_000
    r = httpx.put(
        server.url + "/store",
        params={"graph": "http://example.org/blank"},
        content=body,
        headers={"Content-Type": "text/turtle", **AUTH},
        timeout=300,
    )
    assert_problem(r, 413, "payload-too-large", "IOPGRAPH_MAX_UPLOAD_QUADS")
    assert store_hash(server) == before
    # The write lock is free again: a small write goes through at once.
    small = "<http://example.org/s> <http://example.org/p> 1 ."
    r = httpx.put(
        server.url + "/store",
        params={"graph": "http://example.org/small"},
        content=small,
        headers={"Content-Type": "text/turtle", **AUTH},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    r = httpx.delete(
        server.url + "/store", params={"graph": "http://example.org/small"}, headers=AUTH, timeout=60
    )
    assert r.status_code == 204, r.text


def test_a_write_whose_client_hung_up_is_not_committed(server: ServerProcess) -> None:
    graph = "http://example.org/abandoned"
    body = "\n".join(
        f'<http://example.org/s{i}> <http://example.org/p> "value {i}" .' for i in range(150_000)
    )
    with pytest.raises(httpx.TimeoutException):
        httpx.put(
            server.url + "/store",
            params={"graph": graph},
            content=body,
            headers={"Content-Type": "application/n-triples", **AUTH},
            timeout=httpx.Timeout(60, read=0.5),
        )
    time.sleep(8)
    r = httpx.get(
        server.url + "/store", params={"graph": graph}, headers={"Accept": "text/turtle"}, timeout=30
    )
    assert r.status_code == 404, "the write was committed after its client had gone"
    assert "client closed" in server.log() or "abandoned" in server.log()


def test_validate_alone_reports_only_the_worked_examples_real_findings(server: ServerProcess) -> None:
    """Issue 10, item 2: the upload's own resources only (the doc example had 92 false violations)."""
    example = (ROOT / "docs" / "examples" / "new-initiative.ttl").read_bytes()
    r = httpx.post(
        server.url + "/api/validate",
        files={"file": ("new-initiative.ttl", example, "text/turtle")},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    focus = {x["focus_node"] for x in body["results"]}
    assert focus == {"https://w3id.org/iopgraph/id/initiative/helsinki-district-digital-twins"}
    assert body["violations"] == 4
    assert {x["path"] for x in body["results"]} == {
        "iop:city",
        "iop:country",
        "iop:partOfProgramme",
        "iop:section",
    }
    r = httpx.post(
        server.url + "/api/validate",
        params={"current": "true"},
        content=example,
        headers={"Content-Type": "text/turtle"},
        timeout=60,
    )
    assert r.status_code == 200 and r.json()["conforms"] is True, r.text


def test_blank_nodes_survive_the_trip_from_the_worker(server: ServerProcess) -> None:
    """A write planned in a worker removes the blank-node quads the on-disk store holds (labels kept)."""
    graph = "http://example.org/blank-trip"
    first = '@prefix e: <http://example.org/> . e:s e:p [ e:q "one" ] .'
    second = '@prefix e: <http://example.org/> . e:s e:p [ e:q "two" ] .'
    for body, status in ((first, 201), (second, 204)):
        r = httpx.put(
            server.url + "/store",
            params={"graph": graph},
            content=body,
            headers={"Content-Type": "text/turtle", **AUTH},
            timeout=60,
        )
        assert r.status_code == status, r.text
    r = httpx.get(
        server.url + "/store",
        params={"graph": graph},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    assert r.status_code == 200
    assert len(r.content.strip().splitlines()) == 2 and b'"two"' in r.content and b'"one"' not in r.content
    r = httpx.post(
        server.url + "/update",
        content=f"DELETE WHERE {{ GRAPH <{graph}> {{ ?b <http://example.org/q> ?v }} }}",
        headers={"Content-Type": "application/sparql-update", **AUTH},
        timeout=60,
    )
    assert r.status_code == 204, r.text
    r = httpx.get(
        server.url + "/store",
        params={"graph": graph},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    assert r.content.strip().splitlines() and b'"two"' not in r.content
    assert (
        httpx.delete(server.url + "/store", params={"graph": graph}, headers=AUTH, timeout=60).status_code
        == 204
    )
