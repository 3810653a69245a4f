"""SPARQL benchmark: our service vs `oxigraph serve` vs rdflib-endpoint vs a 40-line in-memory reference.

    .venv/bin/python benchmarks/sparql_bench.py --sizes 10000 100000
    .venv/bin/python benchmarks/sparql_bench.py --sizes 1000000 --skip rdflib-endpoint

For each size it writes a synthetic graph shaped like ours (initiatives, organisations,
participations with roles, a SKOS challenge tree, mitigations addressing challenges and
illustrated by initiatives), then, one server at a time on 127.0.0.1 (so they never
compete for the cores):

* load time: from launch until the first query is answered (for `oxigraph`: `oxigraph
  load` plus start-up); for ours also the restart on the unchanged persisted store;
* per query of the mix, the median latency of up to ``--reps`` sequential runs (each
  bounded by ``--budget`` seconds in total and ``--request-timeout`` per request). Our
  service caches results, so each run gets a different trailing comment (``# run N``):
  these are the uncached figures;
* throughput at concurrency 8 for ``--duration`` seconds: ``lookups`` (200 different
  IRIs, round robin) and ``mix`` (the six queries repeated: our cache is allowed here);
* memory of the process tree (the server and all its descendants), sampled every 0.2 s
  from launch to stop: the peak of the summed **PSS** (proportional set size, from
  ``/proc/<pid>/smaps_rollup``: a page shared by n processes counts 1/n in each, so the
  workers forked copy-on-write from one zygote are not counted n times) and, beside it,
  the peak of the summed RSS (which counts shared pages once per process) and the old
  figure, the sum of VmHWM. For iopgraph also the peak PSS of the first start (the build);
* for iopgraph: first start and restart until a query is answered, and until ``/readyz``
  says ready; the ratio of the first start to `oxigraph load`. The queries are measured after
  the restarted server's background check (the store against its reused snapshot, then the
  search index), as a settled service answers them.

With ``--store-start`` it also times the embedded store layer alone (no web app: the
app's lifespan builds the search index too), in a fresh process per start: first start
and restart until a worker answers a query, until the in-memory copy is loaded, and the
peak summed PSS of that process tree.

Then it prints the ratios the issue sets as targets. rdflib-endpoint runs from its own
venv (``benchmarks/requirements-sparql.txt``) and is skipped if that venv is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
OXIGRAPH = str(Path(PY).with_name("oxigraph"))
RDFLIB_ENDPOINT = HERE / ".venv" / "bin" / "rdflib-endpoint"
B = "https://w3id.org/iopgraph/"
IOP = B + "ontology#"
PREFIXES = f"""PREFIX iop: <{IOP}>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
WORDS = [
    "water",
    "energy",
    "mobility",
    "trust",
    "twin",
    "data",
    "health",
    "urban",
    "climate",
    "open",
    "platform",
    "citizen",
    "sensor",
    "model",
    "governance",
    "market",
]
ROLES = [
    "provider",
    "consumer",
    "operator",
    "intermediary",
    "governance-authority",
    "funder",
    "researcher",
    "developer",
    "user",
    "regulator",
    "broker",
    "steward",
]
SECTORS = ["government", "industry", "academia", "civil-society", "environment"]


# --- the synthetic graph --------------------------------------------------------------------------


def generate(triples: int, path: Path, seed: int = 7) -> int:
    """Write about ``triples`` triples as N-Quads (one named graph per kind) to ``path``; returns the count."""
    rnd = random.Random(seed)
    n_init = max(triples // 21, 20)
    n_org = max(n_init // 3, 10)
    lines: list[str] = []

    def q(s: str, p: str, o: str, g: str) -> None:
        lines.append(f"{s} {p} {o} <{B}graph/{g}> .\n")

    a = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    pref = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    broader = "<http://www.w3.org/2004/02/skos/core#broader>"
    concept = "<http://www.w3.org/2004/02/skos/core#Concept>"
    challenges = []
    for top in range(10):
        t = f"<{B}concept/challenge/{top}>"
        challenges.append(t)
        q(t, a, concept, "challenges")
        q(t, pref, f'"challenge {top}"@en', "challenges")
        for mid in range(5):
            m = f"<{B}concept/challenge/{top}-{mid}>"
            challenges.append(m)
            q(m, a, concept, "challenges")
            q(m, pref, f'"challenge {top}.{mid}"@en', "challenges")
            q(m, broader, t, "challenges")
            for leaf in range(4):
                c = f"<{B}concept/challenge/{top}-{mid}-{leaf}>"
                challenges.append(c)
                q(c, a, concept, "challenges")
                q(c, pref, f'"challenge {top}.{mid}.{leaf}"@en', "challenges")
                q(c, broader, m, "challenges")
    for i, role in enumerate(ROLES):
        r = f"<{B}concept/role/{role}>"
        q(r, a, concept, "roles")
        q(r, pref, f'"{role} {i}"@en', "roles")
    for o in range(n_org):
        org = f"<{B}id/organisation/{o}>"
        q(org, a, f"<{IOP}Organisation>", "organisations")
        q(org, label, f'"{rnd.choice(WORDS).title()} organisation {o}"', "organisations")
        q(org, f"<{IOP}sector>", f"<{B}concept/sector/{rnd.choice(SECTORS)}>", "organisations")
    for i in range(n_init):
        init = f"<{B}id/initiative/{i}>"
        q(init, a, f"<{IOP}Initiative>", "initiatives")
        q(init, label, f'"{rnd.choice(WORDS)} {rnd.choice(WORDS)} initiative {i}"@en', "initiatives")
        q(init, f"<{IOP}place>", f"<{B}id/place/{rnd.randrange(50)}>", "initiatives")
        q(
            init,
            f"<{IOP}startYear>",
            f'"{2000 + rnd.randrange(24)}"^^<http://www.w3.org/2001/XMLSchema#gYear>',
            "initiatives",
        )
        q(init, f"<{IOP}addresses>", rnd.choice(challenges), "initiatives")
        for k in range(3):
            part = f"<{B}id/participation/{i}-{k}>"
            q(part, a, f"<{IOP}Participation>", "initiatives")
            q(part, f"<{IOP}initiative>", init, "initiatives")
            q(part, f"<{IOP}organisation>", f"<{B}id/organisation/{rnd.randrange(n_org)}>", "initiatives")
            q(part, f"<{IOP}role>", f"<{B}concept/role/{rnd.choice(ROLES)}>", "initiatives")
        if i % 2 == 0:
            mit = f"<{B}id/mitigation/{i}>"
            q(mit, a, f"<{IOP}Mitigation>", "mitigations")
            q(mit, label, f'"mitigation {i}: {rnd.choice(WORDS)} agreements"@en', "mitigations")
            q(mit, f"<{IOP}addresses>", rnd.choice(challenges), "mitigations")
            q(mit, f"<{IOP}illustratedBy>", init, "mitigations")
    path.write_text("".join(lines))
    return len(lines)


def query_mix(size: int) -> dict[str, str]:
    n_init = max(size // 21, 20)
    return {
        "lookup": f"SELECT ?p ?o WHERE {{ <{B}id/initiative/{n_init // 2}> ?p ?o }}",
        "group_by": PREFIXES + "SELECT ?role (COUNT(DISTINCT ?i) AS ?n) WHERE { ?x a iop:Participation ; "
        "iop:role ?role ; iop:initiative ?i } GROUP BY ?role ORDER BY DESC(?n)",
        "path": PREFIXES + f"SELECT ?m ?c WHERE {{ ?c skos:broader* <{B}concept/challenge/3> . "
        "?m a iop:Mitigation ; iop:addresses ?c }",
        "join4": PREFIXES + f"SELECT ?org ?role ?i ?m WHERE {{ ?x iop:organisation ?org ; iop:role ?role ; "
        f"iop:initiative ?i . ?i iop:place <{B}id/place/7> . ?m iop:illustratedBy ?i . "
        f"?org iop:sector <{B}concept/sector/government> }}",
        "text": PREFIXES + "SELECT ?i ?l WHERE { ?i a iop:Initiative ; rdfs:label ?l "
        'FILTER(CONTAINS(LCASE(STR(?l)), "climate twin")) } LIMIT 20',
        "construct": PREFIXES
        + f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ BIND(<{B}id/initiative/{n_init // 3}> AS ?s) "
        "?s ?p ?o } UNION { ?s iop:initiative "
        f"<{B}id/initiative/{n_init // 3}> ; ?p ?o }} }}",
    }


def lookups(size: int, count: int = 200) -> list[str]:
    n_init = max(size // 21, 20)
    return [f"SELECT ?p ?o WHERE {{ <{B}id/initiative/{(i * 7919) % n_init}> ?p ?o }}" for i in range(count)]


# --- servers -------------------------------------------------------------------------------------


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def pss_rss_kb(pid: int) -> tuple[int, int]:
    """Summed PSS and RSS (kB) of the process tree of ``pid`` now."""
    pss = rss = 0
    for current in tree(pid):
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1])
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return pss, rss


class MemorySampler:
    """Samples the summed PSS and RSS of a process tree every 0.2 s; keeps the peaks (MB)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_pss = self.peak_rss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.2)

    def sample(self) -> tuple[float, float]:
        pss, rss = pss_rss_kb(self.pid)
        self.peak_pss = max(self.peak_pss, pss / 1024)
        self.peak_rss = max(self.peak_rss, rss / 1024)
        return pss / 1024, rss / 1024

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Server:
    name: str
    url: str  # query endpoint
    process: subprocess.Popen[bytes]
    load_seconds: float
    memory: MemorySampler
    extra: dict[str, float] = field(default_factory=dict)
    cache_busting: bool = False

    def stop(self) -> None:
        self.memory.stop()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            r = httpx.get(
                url,
                params={"query": "ASK { ?s ?p ?o }"},
                headers={"Accept": "application/sparql-results+json"},
                timeout=5,
            )
            if r.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url}: not ready after {timeout} s")


def wait_readyz(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url}: not ready after {timeout} s")


def launch(
    command: list[str],
    url: str,
    env: dict[str, str] | None = None,
    timeout: float = 900,
    readyz: str | None = None,
    log: Path | None = None,
) -> tuple[subprocess.Popen[bytes], float, MemorySampler, float | None]:
    """Start a server; (process, seconds until a query is answered, its memory sampler, seconds until
    ``readyz`` said 200 if given)."""
    started = time.monotonic()
    output = log.open("ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        command, env={**os.environ, **(env or {})}, cwd=ROOT, stdout=output, stderr=output
    )
    memory = MemorySampler(process.pid)
    ready_at = None
    if readyz:
        wait_readyz(readyz, process, timeout)
        ready_at = time.monotonic() - started
    wait_ready(url, process, timeout)
    return process, time.monotonic() - started, memory, ready_at


def settle(log: Path, line: str, process: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until ``line`` is in ``log`` (the server's background start-up work is done)."""
    started = time.monotonic()
    while line not in log.read_text(errors="replace") and process.poll() is None:
        if time.monotonic() - started > timeout:
            raise SystemExit(f"the server did not log {line!r} within {timeout:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - started


def start_ours(data: Path, work: Path) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}/sparql"
    env = {
        "IOPGRAPH_STORE_PATH": str(work / "ours-store"),
        "IOPGRAPH_MAX_RESULTS": "10000000",
        "IOPGRAPH_QUERY_TIMEOUT": "120",
        "IOPGRAPH_ACCESS_LOG": "false",
        "IOPGRAPH_ROOT": str(ROOT),
    }
    command = [PY, "-m", "iopgraph.cli", "serve", str(data), "--port", str(port)]
    readyz = f"http://127.0.0.1:{port}/readyz"
    log = work / "iopgraph.log"
    process, first, memory, first_readyz = launch(command, url, env, readyz=readyz, log=log)
    # A restart follows a service that ran: let the first start finish its background work (the
    # search index is built from the store) before stopping it, as any deployment would.
    settled = settle(log, "search index: ", process, timeout=600)
    memory.stop()
    process.terminate()
    process.wait(timeout=60)
    # Restart on the unchanged persisted store.
    started = time.monotonic()
    warm_line = "answer from the in-memory copy"
    settle_line = "search index: "
    text = log.read_text(errors="replace")
    # Counted before the restart: its background check can end within the 0.1 s the warm copy is waited for.
    before, checks = text.count(warm_line), text.count(settle_line)
    process, restart, again, restart_readyz = launch(command, url, env, readyz=readyz, log=log)
    # Cold workers answer from a RocksDB checkpoint first: the queries are measured on the warm copy.
    while log.read_text(errors="replace").count(warm_line) <= before and process.poll() is None:
        time.sleep(0.1)
    warm = time.monotonic() - started
    # ...and after its background check (the store against the reused snapshot, then the search index),
    # as after the first start: the queries are measured on a settled service, the restart above.
    while log.read_text(errors="replace").count(settle_line) <= checks and process.poll() is None:
        if time.monotonic() - started > 600:
            process.kill()
            raise SystemExit("the restarted server did not finish its background check within 600 s")
        time.sleep(0.2)
    restart_settled = time.monotonic() - started
    extra = {
        "restart_warm_s": warm,
        "restart_settled_s": restart_settled,
        "restart_s": restart,
        "first_readyz_s": first_readyz or 0.0,
        "first_settled_s": settled,
        "restart_readyz_s": restart_readyz or 0.0,
        "first_start_peak_pss_mb": memory.peak_pss,
        "first_start_peak_rss_mb": memory.peak_rss,
    }
    return Server("iopgraph", url, process, first, again, extra, cache_busting=True)


def start_oxigraph(data: Path, work: Path) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}/query"
    started = time.monotonic()
    subprocess.run(
        [OXIGRAPH, "load", "--location", str(work / "oxigraph"), "--file", str(data)],
        check=True,
        capture_output=True,
        timeout=1800,
    )
    loaded = time.monotonic() - started
    process, ready, memory, _ = launch(
        [
            OXIGRAPH,
            "serve",
            "--location",
            str(work / "oxigraph"),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
            "--timeout-s",
            "120",
        ],
        url,
    )
    return Server("oxigraph serve", url, process, loaded + ready, memory, {"oxigraph_load_s": loaded})


def start_reference(data: Path, work: Path) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}/sparql"
    process, ready, memory, _ = launch([PY, str(HERE / "reference_endpoint.py"), str(data), str(port)], url)
    return Server("reference (in-memory)", url, process, ready, memory)


def start_rdflib_endpoint(data: Path, work: Path) -> Server:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"  # rdflib-endpoint serves SPARQL at its root
    trig = work / "data.trig"
    if not trig.exists():
        import pyoxigraph as ox

        ox.serialize(
            ox.parse(path=str(data), format=ox.RdfFormat.N_QUADS), str(trig), format=ox.RdfFormat.TRIG
        )
    process, ready, memory, _ = launch(
        [str(RDFLIB_ENDPOINT), "serve", str(trig), "--host", "127.0.0.1", "--port", str(port)],
        url,
        timeout=900,
    )
    return Server("rdflib-endpoint", url, process, ready, memory)


STARTERS = {
    "iopgraph": start_ours,
    "oxigraph": start_oxigraph,
    "reference": start_reference,
    "rdflib-endpoint": start_rdflib_endpoint,
}


def peak_memory_mb(pid: int) -> float:
    """Sum of VmHWM (peak resident memory) of ``pid`` and its descendants, in MB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total / 1024


# --- the store layer alone ----------------------------------------------------------------------------

STORE_START = """
import asyncio, json, sys, time
from pathlib import Path
started = time.monotonic()
from iopgraph.core.settings import Settings
from iopgraph.store.engine import QueryJob
from iopgraph.store.lifecycle import open_backend

async def main():
    settings = Settings(root=Path(sys.argv[3]), sources=[Path(sys.argv[1])], store_path=Path(sys.argv[2]))
    job = QueryJob(query="ASK { ?s ?p ?o }", form="ASK", media_type="application/sparql-results+json",
                   max_results=1)
    async with open_backend(settings) as backend:
        opened = time.monotonic() - started
        while True:
            try:
                await backend.run_query(job, timeout=60)
                break
            except Exception:
                await asyncio.sleep(0.02)
        answered = time.monotonic() - started
        source = backend.pool.source
        while backend.pool.source != "memory":
            await asyncio.sleep(0.05)
        await backend.run_query(job, timeout=60)
        warm = time.monotonic() - started
        print(json.dumps({"opened_s": opened, "answered_s": answered, "first_source": source, "in_memory_s": warm,
                          "zygote": backend.pool.zygote_info}), flush=True)
        await asyncio.sleep(1.0)  # the checkpoint's clean-up and the snapshot check settle

asyncio.run(main())
"""


def store_start(data: Path, store: Path) -> dict[str, object]:
    """One start of the embedded backend in a fresh process: its timings and peak summed PSS."""
    import json

    process = subprocess.Popen(
        [PY, "-c", STORE_START, str(data), str(store), str(ROOT)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    memory = MemorySampler(process.pid)
    out, _ = process.communicate(timeout=900)
    memory.stop()
    result: dict[str, object] = json.loads(out.decode().strip().splitlines()[-1])
    result["peak_pss_mb"], result["peak_rss_mb"] = memory.peak_pss, memory.peak_rss
    return result


def report_store_starts(data: Path, work: Path) -> None:
    store = work / "store-only"
    print("\n### the embedded store layer alone (no web app)\n")
    print(
        "| start | opened (s) | first query answered (s) | answered from | in memory (s) | peak PSS / RSS (MB) |"
    )
    print("|---|---:|---:|---|---:|---|")
    for name in ("first start", "restart"):
        r = store_start(data, store)
        print(
            f"| {name} | {r['opened_s']:.2f} | {r['answered_s']:.2f} | {r['first_source']} | "
            f"{r['in_memory_s']:.2f} | {r['peak_pss_mb']:.0f} / {r['peak_rss_mb']:.0f} |",
            flush=True,
        )


# --- a lean HTTP/1.1 client (httpx costs ~1 ms a request, more than the cheap queries themselves) ---


class RawClient:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1; GET only; Content-Length and chunked bodies."""

    def __init__(self, url: str, timeout: float) -> None:
        parsed = httpx.URL(url)
        self.host, self.port, self.path = parsed.host, parsed.port or 80, parsed.raw_path.decode() or "/"
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, query: str, accept: str) -> tuple[int, bytes]:
        from urllib.parse import quote

        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        target = self.path + ("&" if "?" in self.path else "?") + "query=" + quote(query, safe="")
        self.writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: {accept}\r\n\r\n".encode()
        )
        return await asyncio.wait_for(self._response(self.reader), self.timeout)

    async def _response(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        if "content-length" in headers:
            return status, await reader.readexactly(int(headers["content-length"]))
        body = bytearray()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    return status, bytes(body)
                body += await reader.readexactly(size)
                await reader.readexactly(2)
        return status, await reader.read()

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


# --- measurements --------------------------------------------------------------------------------


def accept_for(query: str) -> str:
    return "text/turtle" if "CONSTRUCT" in query else "application/sparql-results+json"


async def latency(
    server: Server, query: str, reps: int, budget: float, timeout: float
) -> tuple[float | None, int, str]:
    """Median seconds of up to ``reps`` sequential runs (after one warm-up), and how many ran."""
    times: list[float] = []
    note = ""
    client = RawClient(server.url, timeout)
    try:
        spent = time.monotonic()
        for run in range(reps + 1):
            text = query + (f"\n# run {run} {time.time_ns()}" if server.cache_busting else "")
            started = time.perf_counter()
            try:
                status, body = await client.get(text, accept_for(query))
            except TimeoutError:
                return None, len(times), f"timed out (> {timeout:g} s)"
            elapsed = time.perf_counter() - started
            if status != 200:
                return None, len(times), f"HTTP {status}: {body[:120]!r}"
            if run > 0:
                times.append(elapsed)
            if time.monotonic() - spent > budget:
                note = "budget reached"
                break
    finally:
        await client.close()
    return (statistics.median(times) if times else None), len(times), note


async def throughput(
    server: Server, queries: list[str], concurrency: int, duration: float, timeout: float
) -> float:
    """Requests per second answered by ``concurrency`` clients cycling through ``queries`` for ``duration`` s."""
    done = 0
    stop_at = time.monotonic() + duration
    counter = iter(range(10**9))

    async def client_loop() -> None:
        nonlocal done
        client = RawClient(server.url, timeout)
        try:
            while time.monotonic() < stop_at:
                query = queries[next(counter) % len(queries)]
                try:
                    status, _ = await client.get(query, accept_for(query))
                except (TimeoutError, OSError, asyncio.IncompleteReadError):
                    await client.close()
                    continue
                if status == 200:
                    done += 1
        finally:
            await client.close()

    started = time.monotonic()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    return done / (time.monotonic() - started)


# --- the run ---------------------------------------------------------------------------------------


def fmt_ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.1f}"


def run_size(size: int, args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"iopgraph-bench-{size}-"))
    try:
        data = work / "data.nq"
        count = generate(size, data)
        print(f"\n## {count:,} triples ({data.stat().st_size / 1e6:.1f} MB N-Quads)\n", flush=True)
        mix = query_mix(size)
        results: dict[str, dict[str, object]] = {}
        for key in args.servers:
            if key in args.skip:
                continue
            if key == "rdflib-endpoint" and not RDFLIB_ENDPOINT.exists():
                print(f"(skipping rdflib-endpoint: {RDFLIB_ENDPOINT} missing; see requirements-sparql.txt)")
                continue
            try:
                server = STARTERS[key](data, work)
            except (RuntimeError, subprocess.SubprocessError) as exc:
                print(f"(skipping {key}: {exc})")
                continue
            try:
                row: dict[str, object] = {"load_s": server.load_seconds, **server.extra}
                for name, query in mix.items():
                    median, runs, note = asyncio.run(
                        latency(server, query, args.reps, args.budget, args.request_timeout)
                    )
                    row[name] = median
                    if note:
                        row[name + "_note"] = note
                    print(
                        f"  {server.name:24} {name:10} {fmt_ms(median):>9} ms  ({runs} runs) {note}",
                        flush=True,
                    )
                row["lookups_rps"] = asyncio.run(
                    throughput(server, lookups(size), 8, args.duration, args.request_timeout)
                )
                row["mix_rps"] = asyncio.run(
                    throughput(server, list(mix.values()), 8, args.duration, args.request_timeout)
                )
                row["peak_mb"] = peak_memory_mb(server.process.pid)
                now_pss, now_rss = server.memory.sample()
                row["pss_mb"], row["rss_mb"] = now_pss, now_rss
                row["peak_pss_mb"], row["peak_rss_mb"] = server.memory.peak_pss, server.memory.peak_rss
                results[server.name] = row
            finally:
                server.stop()
        if args.store_start:
            report_store_starts(data, work)
        print(f"(load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
        report(count, mix, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(count: int, mix: dict[str, str], results: dict[str, dict[str, object]]) -> None:
    names = list(results)
    print(
        f"\n### {count:,} triples: median latency (ms, uncached for iopgraph), throughput at concurrency 8\n"
    )
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for q in mix:
        print(
            f"| {q} | "
            + " | ".join(
                fmt_ms(results[n].get(q))
                + (
                    " (" + str(results[n][q + "_note"]) + ")"  # type: ignore[arg-type]
                    if results[n].get(q + "_note")
                    else ""
                )
                for n in names
            )
            + " |"
        )
    print("| lookups req/s (c=8) | " + " | ".join(f"{results[n]['lookups_rps']:.0f}" for n in names) + " |")
    print("| repeated mix req/s (c=8) | " + " | ".join(f"{results[n]['mix_rps']:.0f}" for n in names) + " |")
    print("| load / start (s) | " + " | ".join(f"{results[n]['load_s']:.2f}" for n in names) + " |")
    print(
        "| peak memory, summed PSS (MB) | "
        + " | ".join(f"{results[n]['peak_pss_mb']:.0f}" for n in names)
        + " |"
    )
    print(
        "| peak memory, summed RSS (MB) | "
        + " | ".join(f"{results[n]['peak_rss_mb']:.0f}" for n in names)
        + " |"
    )
    print("| sum of VmHWM (MB) | " + " | ".join(f"{results[n]['peak_mb']:.0f}" for n in names) + " |")
    print(
        "| PSS / RSS at the end (MB) | "
        + " | ".join(f"{results[n]['pss_mb']:.0f} / {results[n]['rss_mb']:.0f}" for n in names)
        + " |"
    )
    ours = results.get("iopgraph")
    if ours:
        print(
            f"\niopgraph first start: a query answered after {ours['load_s']:.2f} s (/readyz ready after "
            f"{ours['first_readyz_s']:.2f} s), peak PSS {ours['first_start_peak_pss_mb']:.0f} MB "
            f"(RSS {ours['first_start_peak_rss_mb']:.0f} MB); its background work (the search index) "
            f"done {ours['first_settled_s']:.1f} s later"
        )
        print(
            f"iopgraph restart on the unchanged persisted store: a query answered after {ours['restart_s']:.2f} s "
            f"(/readyz ready after {ours['restart_readyz_s']:.2f} s; target < 2 s); the in-memory copy answers "
            f"after {ours['restart_warm_s']:.2f} s (until then cold workers on a RocksDB checkpoint); its "
            f"background check done after {ours['restart_settled_s']:.2f} s (the queries are measured after it)"
        )
        ref, oxi, rdfl = (
            results.get("reference (in-memory)"),
            results.get("oxigraph serve"),
            results.get("rdflib-endpoint"),
        )
        for q in mix:
            mine = ours.get(q)
            parts = []
            if ref and ref.get(q) and mine:
                parts.append(f"ours/reference {mine / ref[q]:.2f}x")  # type: ignore[operator]
            if oxi and oxi.get(q) and mine:
                parts.append(f"ours-oxigraph {(mine - oxi[q]) * 1000:+.1f} ms")  # type: ignore[operator]
            if rdfl and mine:
                parts.append(
                    f"rdflib-endpoint/ours {rdfl[q] / mine:.1f}x"
                    if rdfl.get(q)  # type: ignore[operator]
                    else "rdflib-endpoint: no answer"
                )
            print(f"- {q}: " + ", ".join(parts))
        if ref:
            print(
                f"- peak memory ours/reference: PSS {ours['peak_pss_mb'] / ref['peak_pss_mb']:.2f}x, "  # type: ignore[operator]
                f"RSS {ours['peak_rss_mb'] / ref['peak_rss_mb']:.2f}x (target <= 1.3x)"  # type: ignore[operator]
            )
        if oxi:
            print(
                f"- first start ours / oxigraph load: {ours['load_s'] / oxi['oxigraph_load_s']:.2f}x (target <= 2x)"  # type: ignore[operator]
            )
            print(
                f"- repeated mix throughput ours/oxigraph: {ours['mix_rps'] / oxi['mix_rps']:.2f}x; "  # type: ignore[operator]
                f"lookups ours/oxigraph: {ours['lookups_rps'] / oxi['lookups_rps']:.2f}x"
            )  # type: ignore[operator]


def compile_sources(root: Path) -> None:
    """The bytecode of ``root/src``, as ``make run`` writes it (where PYTHONDONTWRITEBYTECODE is set, a
    start would otherwise compile the app again: ~0.45 s of each first start and restart)."""
    subprocess.run([PY, "-m", "compileall", "-q", str(root / "src")], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--servers", nargs="+", default=list(STARTERS), choices=list(STARTERS))
    parser.add_argument("--skip", nargs="*", default=[], choices=list(STARTERS))
    parser.add_argument("--reps", type=int, default=15, help="timed runs per query (after one warm-up)")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per query at most")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per throughput test")
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument(
        "--store-start", action="store_true", help="also time the embedded store layer's starts alone"
    )
    args = parser.parse_args()
    compile_sources(ROOT)
    print(
        f"# SPARQL benchmark: {' '.join(sys.argv)}  ({os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the start)"
    )
    for size in args.sizes:
        run_size(size, args)


if __name__ == "__main__":
    main()
