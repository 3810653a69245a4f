"""Isolation of untrusted work: the worker sandbox, the generic job call, and the query-side limits.

The job-call tests drive a real :class:`WorkerPool` (real sandboxed worker
processes, graph-less); the user-facing tests run against a real
``iopgraph serve`` on the shipped graph.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from iopgraph.core.errors import ValidationFailed
from iopgraph.query.errors import JobCrashed, JobFailed, JobTimeout
from iopgraph.store.pool import WorkerPool, rebuild_error
from support.clients import http_client
from support.paths import ROOT
from support.server import ServerProcess


class Listener:
    """A loopback TCP listener that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    try:
        yield found
    finally:
        found.close()


def with_pool(tmp_path: Path, body: Callable[[WorkerPool], Awaitable[None]], **options: Any) -> None:
    empty = tmp_path / "empty.nq"
    empty.write_bytes(b"")

    async def snapshot() -> Path:
        return empty

    async def main() -> None:
        pool = WorkerPool(1, snapshot, **options)
        await pool.start()
        try:
            await body(pool)
        finally:
            await pool.close()

    asyncio.run(main())


def test_job_call_round_trip_and_sandbox_report(tmp_path: Path) -> None:
    async def body(pool: WorkerPool) -> None:
        result, payload = await pool.call("echo", {"n": [1, "two"]}, b"\x00bytes\xff", timeout=30)
        assert result["args"] == {"n": [1, "two"]} and result["quads"] == 0
        assert payload == b"\x00bytes\xff"
        assert result["pid"] in pool.pids
        assert pool.sandbox == {
            "network_isolation": True,
            "network_mode": "none",
            "sandbox_reason": "network namespace",
            "memory_limit_mb": 2048,
        }

    with_pool(tmp_path, body, memory_mb=2048)


def test_job_errors_travel_as_json_and_are_reraised_as_their_class(tmp_path: Path) -> None:
    async def body(pool: WorkerPool) -> None:
        with pytest.raises(ValidationFailed) as failed:
            await pool.call("selftest", {"do": "input-error"}, timeout=30)
        assert failed.value.message == "the data does not conform"
        assert failed.value.problem_extra == {"report": {"conforms": False, "results": [1, 2]}}
        assert failed.value.status == 422
        with pytest.raises(JobFailed) as bug:
            await pool.call("selftest", {"do": "bug"}, timeout=30)
        assert "internal detail" not in bug.value.message and bug.value.status == 500
        assert pool.replaced == 0  # a job's exception does not cost the worker

    with_pool(tmp_path, body)


def test_only_iopgraph_error_classes_are_rebuilt() -> None:
    for name in (
        "builtins.SystemExit",
        "os.system",
        "subprocess.Popen",
        "iopgraph.store.pool.WorkerPool",
        "iopgraph.nosuchmodule.Error",
        "iopgraph.core.errors.__class__",
    ):
        error = rebuild_error({"class": name, "message": "x", "attrs": {"status": 200}})
        assert type(error) is JobFailed, name
        assert error.status == 500
    error = rebuild_error(
        {
            "class": "iopgraph.core.errors.InvalidParameter",
            "message": "bad page",
            "attrs": {"__class__": "nope", "_private": 1, "detail": "kept"},
        }
    )
    assert type(error).__name__ == "InvalidParameter" and error.message == "bad page"
    assert error.detail == "kept" and not hasattr(error, "_private")


def test_a_crashing_job_costs_one_worker_and_gives_a_clear_4xx(tmp_path: Path) -> None:
    async def body(pool: WorkerPool) -> None:
        [before] = pool.pids
        with pytest.raises(JobCrashed) as crashed:
            await pool.call("selftest", {"do": "crash"}, timeout=30)
        assert crashed.value.status == 400 and "SIGSEGV" in crashed.value.message
        with pytest.raises(JobCrashed) as oom:  # over the address-space limit
            await pool.call("selftest", {"do": "allocate", "mb": 1500}, timeout=30)
        assert "memory" in oom.value.message
        result, _ = await pool.call("echo", {}, timeout=60)  # a fresh worker answers
        assert result["pid"] != before and pool.replaced == 2 and pool.crashes == 2
        small, _ = await pool.call("selftest", {"do": "allocate", "mb": 50}, timeout=30)
        assert small == {"allocated_mb": 50}

    with_pool(tmp_path, body, memory_mb=1024)


def test_a_job_past_its_timeout_is_killed(tmp_path: Path) -> None:
    async def body(pool: WorkerPool) -> None:
        [before] = pool.pids
        with pytest.raises(JobTimeout) as stopped:
            await pool.call("selftest", {"do": "sleep", "seconds": 120}, timeout=1)
        assert stopped.value.status == 503
        result, _ = await pool.call("echo", {}, timeout=60)
        assert result["pid"] != before

    with_pool(tmp_path, body)


def test_a_worker_cannot_open_connections(tmp_path: Path, listener: Listener) -> None:
    async def body(pool: WorkerPool) -> None:
        with pytest.raises(JobFailed):
            await pool.call("selftest", {"do": "connect", "port": listener.port}, timeout=30)

    with_pool(tmp_path, body)
    assert listener.accepted == 0
    # The listener itself works: a connection from the test process is accepted.
    socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
    for _ in range(50):
        if listener.accepted:
            break
        threading.Event().wait(0.1)
    assert listener.accepted == 1


def test_workers_keep_the_network_only_with_an_allow_list(tmp_path: Path, listener: Listener) -> None:
    async def body(pool: WorkerPool) -> None:
        assert pool.sandbox is not None and pool.sandbox["network_mode"] == "allow-list"
        assert pool.sandbox["network_isolation"] is False
        result, _ = await pool.call("selftest", {"do": "connect", "port": listener.port}, timeout=30)
        assert result == {"connected": True}

    with_pool(tmp_path, body, keep_network=True)


def test_one_client_with_slow_work_cannot_hold_every_worker(tmp_path: Path) -> None:
    empty = tmp_path / "empty.nq"
    empty.write_bytes(b"")

    async def snapshot() -> Path:
        return empty

    async def main() -> None:
        pool = WorkerPool(2, snapshot)
        await pool.start()
        try:
            slow = asyncio.ensure_future(
                pool.call("selftest", {"do": "sleep", "seconds": 6}, timeout=30, client="a")
            )
            await asyncio.sleep(1.5)  # now a heavy query of client a
            second = asyncio.ensure_future(pool.call("echo", {"n": 2}, timeout=30, client="a"))
            await asyncio.sleep(0.3)
            assert not second.done()  # a holds all but one worker with heavy work: it waits
            other, _ = await asyncio.wait_for(pool.call("echo", {"n": 3}, timeout=30, client="b"), 3)
            assert other["args"] == {"n": 3} and not slow.done()  # b is served at once, beside a's slow job
            result, _ = await second
            assert result["args"] == {"n": 2} and slow.done()  # a's second job ran once its slow one ended
        finally:
            await pool.close()

    asyncio.run(main())


def test_while_every_worker_loads_a_request_waits_briefly_then_gets_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iopgraph.query.errors import WorkersUnavailable
    from iopgraph.store import pool as pool_module

    monkeypatch.setattr(pool_module, "LOADING_WAIT", 0.05)
    snapshot = tmp_path / "big.nq"
    snapshot.write_text("".join(f'<urn:s{i}> <urn:p> "{i}" .\n' for i in range(200_000)))

    async def make() -> Path:
        return snapshot

    async def main() -> None:
        pool = WorkerPool(1, make)
        await pool.start(wait=False)
        try:
            with pytest.raises(WorkersUnavailable) as busy:
                await pool.call("echo", {}, timeout=30)
            assert "still loading" in busy.value.message
            assert getattr(busy.value, "headers", {}).get("Retry-After") == "5"
            await pool.wait_ready()
            result, _ = await pool.call("echo", {}, timeout=30)
            assert result["quads"] == 200_000
        finally:
            await pool.close()

    asyncio.run(main())


def test_readyz_reports_the_sandbox_of_a_live_server(
    tmp_path: Path, live_server: Callable[..., ServerProcess]
) -> None:
    env = {
        "IOPGRAPH_ROOT": str(ROOT),
        "IOPGRAPH_STORE_PATH": str(tmp_path / "store"),
        "IOPGRAPH_WORKER_MEMORY_MB": "3072",
    }
    server = live_server(env)
    for _ in range(300):  # the sandbox is reported once the first worker has loaded the graph
        checks = httpx.get(server.url + "/readyz").json()["checks"]
        if "network_isolation" in checks:
            break
        time.sleep(0.1)
    assert checks["network_isolation"] is True and checks["network_mode"] == "none"
    assert checks["worker_memory_limit_mb"] == 3072


# --- the query side, against a live server on the shipped graph ------------------------------------------

JSON = {"Accept": "application/sparql-results+json"}
CAP_BYTES = 2_000_000
#: Strings doubled 15 times (512 KiB) on each of 10,000 rows: ~5 GB of result without the byte cap.
DOUBLING = (
    "SELECT ?x WHERE { VALUES ?n { "
    + " ".join(map(str, range(100)))
    + " } VALUES ?m { "
    + " ".join(map(str, range(100)))
    + ' } BIND("0123456789abcdef" AS ?a0) '
    + " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(15))
    + " BIND(CONCAT(?a15, STR(?n), STR(?m)) AS ?x) } LIMIT 10000"
)
#: One string doubled 27 times: 2 GiB, past the worker's address-space limit of these tests.
EXHAUSTING = (
    'SELECT ?x WHERE { BIND("0123456789abcdef" AS ?a0) '
    + " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(27))
    + " BIND(?a27 AS ?x) }"
)
FLAT_CHAINS = {
    "30,000-branch UNION": "SELECT * WHERE { "
    + " UNION ".join(f"{{ ?s ?p {i} }}" for i in range(30_000))
    + " }",
    "40,000-step path": "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s "
    + "/".join(["ex:p"] * 40_000)
    + " ?o }",
    "150,000-term sum": "SELECT (" + "+".join(["1"] * 150_000) + " AS ?x) WHERE {}",
    "20,000 OPTIONALs": "SELECT * WHERE { ?s ?p ?o "
    + " ".join(f"OPTIONAL {{ ?s ?p ?o{i} }}" for i in range(20_000))
    + " }",
}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    folder = tmp_path_factory.mktemp("isolation")
    env = {
        "IOPGRAPH_ROOT": str(ROOT),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_QUERY_WORKERS": "2",
        "IOPGRAPH_WORKER_MEMORY_MB": "1024",
        "IOPGRAPH_MAX_RESULT_BYTES": str(CAP_BYTES),
        "IOPGRAPH_QUERY_TIMEOUT": "20",
        "IOPGRAPH_BASE_URL": "http://iopgraph.test",
        # every client of these tests is 127.0.0.1: the per-client limit is tested on the pool itself
        "IOPGRAPH_QUERY_WORKERS_PER_CLIENT": "2",
    }
    with ServerProcess(folder, env) as server:
        server.wait_until("/readyz", 120)
        yield server
        assert "Traceback" not in server.log()


def replaced(server: ServerProcess) -> float:
    """The server's count of replaced workers (from /metrics)."""
    for line in httpx.get(server.url + "/metrics", timeout=30).text.splitlines():
        if line.startswith("iopgraph_query_workers_replaced") and not line.startswith("#"):
            return float(line.split()[-1])
    raise AssertionError("no worker replacement metric")


def ask(server: ServerProcess) -> httpx.Response:
    return httpx.get(server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers=JSON, timeout=30)


def test_flat_chains_are_refused_before_a_worker_sees_them(live: ServerProcess) -> None:
    count = replaced(live)
    for name, query in FLAT_CHAINS.items():
        response = httpx.post(live.url + "/sparql", data={"query": query}, headers=JSON, timeout=60)
        assert response.status_code == 400, (name, response.text[:300])
        problem = response.json()
        assert problem["code"] == "query-too-complex", name
        assert "IOPGRAPH_MAX_QUERY_OPERATORS" in problem["detail"], name
    assert replaced(live) == count  # no worker was killed or replaced
    assert ask(live).json() == {"head": {}, "boolean": True}


def test_a_query_that_kills_its_worker_is_refused_and_remembered(live: ServerProcess) -> None:
    first = httpx.get(live.url + "/sparql", params={"query": EXHAUSTING}, headers=JSON, timeout=60)
    assert first.status_code == 400 and first.json()["code"] == "query-too-complex", first.text[:300]
    assert "crash" in first.json()["detail"]
    count = replaced(live)
    assert count >= 1
    again = httpx.get(live.url + "/sparql", params={"query": EXHAUSTING}, headers=JSON, timeout=60)
    assert again.status_code == 400 and again.json()["code"] == "query-too-complex"
    assert "before" in again.json()["detail"]  # refused at once, without running it
    assert replaced(live) == count
    assert ask(live).status_code == 200


def test_results_are_capped_in_bytes_and_flagged(live: ServerProcess) -> None:
    before = rss_kb(live.pid)
    response = httpx.get(live.url + "/sparql", params={"query": DOUBLING}, headers=JSON, timeout=60)
    assert response.status_code == 200, response.text[:300]
    assert len(response.content) <= CAP_BYTES
    rows = response.json()["results"]["bindings"]
    assert 0 < len(rows) < 10_000
    assert response.headers["iopgraph-truncated"].startswith("true; bytes;")
    assert "IOPGRAPH_MAX_RESULT_BYTES" in response.headers["iopgraph-truncated"]
    assert response.headers["x-sparql-maxrows"] == str(len(rows)) == response.headers["iopgraph-result-count"]
    assert rss_kb(live.pid) - before < 100_000  # the server never held the uncapped result
    csv = httpx.get(live.url + "/sparql", params={"query": DOUBLING, "format": "csv"}, timeout=60)
    assert csv.status_code == 200 and len(csv.content) <= CAP_BYTES
    assert csv.headers["iopgraph-truncated"].startswith("true; bytes;")


def test_an_oversized_accept_header_is_refused_fast_with_a_problem(live: ServerProcess) -> None:
    accept = ", ".join(["text/turtle;q=0.5"] * 55_000)  # ~1 MB
    for path in ("/sparql?query=ASK%20%7B%7D", "/api/challenges"):
        response = httpx.get(live.url + path, headers={"Accept": accept}, timeout=60)
        assert response.status_code == 431, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "header-too-large"


def test_health_answers_while_a_900_kb_query_is_analysed(live: ServerProcess) -> None:
    def health_latency() -> float:
        started = time.perf_counter()
        assert httpx.get(live.url + "/healthz", timeout=30).status_code == 200
        return time.perf_counter() - started

    baseline = max(health_latency() for _ in range(5))
    big = "SELECT ?x WHERE { VALUES ?x { " + " ".join(f"{i:07d}" for i in range(110_000)) + " } } LIMIT 1"
    assert 850_000 < len(big) < 1_000_000
    done = threading.Event()
    status: list[int] = []

    def send() -> None:
        status.append(
            httpx.post(
                live.url + "/sparql",
                content=big.encode(),
                timeout=120,
                headers={**JSON, "Content-Type": "application/sparql-query"},
            ).status_code
        )
        done.set()

    thread = threading.Thread(target=send)
    thread.start()
    during = []
    while not done.is_set() and len(during) < 200:
        during.append(health_latency())
        time.sleep(0.02)
    thread.join(timeout=120)
    assert status == [200]
    assert during, "the big query finished before any health check could be made"
    assert max(during) < max(1.0, 20 * baseline), (max(during), baseline)


def test_relative_iris_resolve_against_the_endpoint(live: ServerProcess) -> None:
    response = httpx.get(
        live.url + "/sparql",
        params={"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.text.strip() == (
        '<http://iopgraph.test/s> <http://iopgraph.test/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .'
    )


def test_invalid_utf8_in_the_query_parameter_is_refused(live: ServerProcess) -> None:
    response = httpx.get(live.url + "/sparql?query=ASK%20%7B%7D%FF", timeout=30)
    assert response.status_code == 400 and response.json()["code"] == "bad-sparql-request"
    assert "UTF-8" in response.json()["detail"]


def test_repeated_collection_filters_are_merged_and_capped(live: ServerProcess) -> None:
    one = httpx.get(
        live.url + "/api/challenges",
        params={"family": "cultural-interoperability"},
        headers={"Accept": "application/ld+json"},
        timeout=60,
    )
    assert one.status_code == 200
    repeated = httpx.get(
        live.url + "/api/challenges",
        params=[("family", "cultural-interoperability")] * 200,
        headers={"Accept": "application/ld+json"},
        timeout=60,
    )
    assert repeated.status_code == 200 and repeated.json() == one.json() | {
        k: v for k, v in repeated.json().items() if k in ("@id", "view")
    }
    many = [("family", f"family-{i}") for i in range(11)]
    refused = httpx.get(live.url + "/api/challenges", params=many, timeout=60)
    assert refused.status_code == 400 and refused.json()["code"] == "invalid-parameter"
    assert "at most 10 distinct filter values" in refused.json()["detail"]


def test_cheap_queries_keep_answering_while_two_clients_loop_queries_of_death(live: ServerProcess) -> None:
    deadly = [*FLAT_CHAINS.values(), EXHAUSTING]
    # The worker-killing query costs one worker once (then it is remembered); let its replacement start.
    httpx.post(live.url + "/sparql", data={"query": EXHAUSTING}, headers=JSON, timeout=120)
    for _ in range(600):
        if len(live.children()) >= 2 and ask(live).status_code == 200:
            break
        time.sleep(0.1)
    count = replaced(live)
    stop = threading.Event()
    answers: list[int] = []

    def attacker() -> None:
        with http_client(timeout=120) as client:
            n = 0
            while not stop.is_set():
                answers.append(
                    client.post(
                        live.url + "/sparql", data={"query": deadly[n % len(deadly)]}, headers=JSON
                    ).status_code
                )
                n += 1

    threads = [threading.Thread(target=attacker) for _ in range(2)]
    for thread in threads:
        thread.start()
    latencies: list[float] = []
    deadline = time.monotonic() + 90
    try:
        n = 0
        while (n < 20 or len(answers) < 8) and time.monotonic() < deadline:
            n += 1
            started = time.perf_counter()
            response = httpx.get(
                live.url + "/sparql", params={"query": f"ASK {{ ?s ?p {n} }}"}, headers=JSON, timeout=30
            )
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert set(answers) == {400}, answers
    assert len(answers) >= 8
    assert replaced(live) == count  # looping them killed no further worker
    assert max(latencies) < 1.0, latencies


def test_a_hanging_remote_store_costs_one_timeout_then_fails_fast(tmp_path: Path) -> None:
    import signal as signals

    from test_service_evasion import oxigraph_process

    with oxigraph_process(tmp_path) as (store_url, process):
        env = {
            "IOPGRAPH_ROOT": str(ROOT),
            "IOPGRAPH_STORE_URL": store_url + "/query",
            "IOPGRAPH_QUERY_TIMEOUT": "2",
        }
        with ServerProcess(tmp_path, env) as server:
            server.wait_until("/readyz", 120)
            process.send_signal(signals.SIGSTOP)
            try:
                first = httpx.get(
                    server.url + "/sparql", params={"query": "ASK { ?s ?p 1 }"}, headers=JSON, timeout=30
                )
                assert first.status_code == 504 and first.json()["code"] == "upstream-timeout"
                started = time.monotonic()
                second = httpx.get(
                    server.url + "/sparql", params={"query": "ASK { ?s ?p 2 }"}, headers=JSON, timeout=30
                )
                quick = time.monotonic() - started
            finally:
                process.send_signal(signals.SIGCONT)
            assert second.status_code == 503 and second.json()["code"] == "upstream-unavailable"
            assert int(second.headers["retry-after"]) >= 1
            assert quick < 2  # not another timeout
            for response in (first, second):
                assert store_url.split("//")[1] not in response.text  # the store's address is not revealed
            server.wait_until("/readyz", 60)
            assert (
                httpx.get(
                    server.url + "/sparql", params={"query": "ASK { ?s ?p 3 }"}, headers=JSON, timeout=30
                ).status_code
                == 200
            )


def metric(server: ServerProcess, name: str) -> float:
    for line in httpx.get(server.url + "/metrics", timeout=30).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no metric {name}")


def test_identical_queries_at_once_run_once_and_all_get_the_answer(live: ServerProcess) -> None:
    """Request coalescing: a burst of the same uncached query takes one worker, and every client gets it."""
    values = " ".join(str(i) for i in range(250))
    # ~0.5-1 s in a worker; a comment unique to this run, so neither the cache nor an earlier run answers
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} "
    query += f"VALUES ?c {{ {values} }} }} # burst {time.time_ns()}"
    before = metric(live, "iopgraph_sparql_shared_total")
    barrier = threading.Barrier(4)
    responses: list[httpx.Response] = []

    def ask_it() -> None:
        barrier.wait()
        responses.append(httpx.get(live.url + "/sparql", params={"query": query}, headers=JSON, timeout=60))

    threads = [threading.Thread(target=ask_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [r.status_code for r in responses] == [200] * 4
    assert {r.json()["results"]["bindings"][0]["n"]["value"] for r in responses} == {str(250**3)}
    assert metric(live, "iopgraph_sparql_shared_total") - before == 3  # one ran, three shared its answer
