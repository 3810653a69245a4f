"""Views benchmark: iopgraph's linked-data views vs the floor (a bare FastAPI app) and `oxigraph serve`.

    .venv/bin/python benchmarks/views_bench.py                 # about 1.5 minutes
    .venv/bin/python benchmarks/views_bench.py --duration 1 --views / /matrix

Side by side in one run, on 127.0.0.1 (all servers up at once, measured one after
another per view so that they see the same machine load):

* **iopgraph uncached**: ``iopgraph serve`` on the shipped graph with the page cache
  off (``IOPGRAPH_PAGE_CACHE_BYTES=0``): every request recomputes the view;
* **iopgraph cached**: the same with the default page cache (the figures equal the
  uncached ones while the server has no page cache);
* **floor**: a bare FastAPI + uvicorn app returning, for each view, a fixed body of
  the same bytes and media type (what a Python handler costs at all);
* **oxigraph**: `oxigraph serve` (pip package ``oxigraph``, the `oxigraph` test
  extra) on the same quads, answering a CONSTRUCT of the resource's triples, its
  incoming links and the labels and types of what they link (resource views only).

For each view and server: sequential latency (one connection, p50) and, at
``--concurrency`` connections for ``--duration`` seconds, requests per second, p50 and
p99. The client is a lean keep-alive HTTP/1.1 client (httpx costs ~1 ms a request,
more than the floor). The load average is printed per view: the machine is shared,
so compare ratios (vs floor), not absolute figures.

``--root DIR`` serves another checkout (e.g. ``git archive`` of an older commit) to
measure before/after with the same harness.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request, Response

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
OXIGRAPH = str(Path(PY).with_name("oxigraph"))
RESOURCE = "https://w3id.org/iopgraph/id/initiative/flanders-smart-data-space"
RESOURCE_PATH = "/id/initiative/flanders-smart-data-space"
VIEWS = [
    "/",
    "/challenges",
    "/matrix",
    RESOURCE_PATH,
    RESOURCE_PATH + "?format=jsonld",
    RESOURCE_PATH + "?format=ttl",
    "/api/challenges",
    "/api/mitigations?limit=100",
]
LABELS = (
    "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>, <http://www.w3.org/2004/02/skos/core#prefLabel>, "
    "<http://www.w3.org/2000/01/rdf-schema#label>, <http://purl.org/dc/terms/title>, "
    "<http://xmlns.com/foaf/0.1/name>"
)
#: The resource as a well-written CONSTRUCT: its triples, its incoming links, the labels/types of both ends.
CONSTRUCT = f"""CONSTRUCT {{ <{RESOURCE}> ?p ?o . ?o ?lp ?l . ?s ?q <{RESOURCE}> . ?s ?sp ?sl }} WHERE {{
  {{ <{RESOURCE}> ?p ?o OPTIONAL {{ ?o ?lp ?l FILTER(?lp IN ({LABELS})) }} }}
  UNION {{ ?s ?q <{RESOURCE}> OPTIONAL {{ ?s ?sp ?sl FILTER(?sp IN ({LABELS})) }} }}
}}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    base: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_ready(base: str, path: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            status, _ = asyncio.run(fetch(base, path))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base} did not answer in {timeout:g} s")


def start_iopgraph(name: str, root: Path, work: Path, env: dict[str, str]) -> Server:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IOPGRAPH_")}
    clean.update(
        {
            "IOPGRAPH_ROOT": str(root),
            "IOPGRAPH_STORE_PATH": str(work / "store"),
            "IOPGRAPH_BUILD_DIR": str(work / "build"),
            "IOPGRAPH_ACCESS_LOG": "false",
            "PYTHONPATH": str(root / "src"),
            **env,
        }
    )
    command = [PY, "-m", "iopgraph.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env=clean, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    server = Server(name, f"http://127.0.0.1:{port}", process)
    try:
        wait_ready(server.base, "/sparql?query=ASK%7B%7D", process)
    except BaseException:
        server.stop()
        raise
    return server


def start_floor(bodies: dict[str, tuple[str, bytes]], work: Path) -> Server:
    folder = work / "floor"
    folder.mkdir()
    index = {}
    for i, (path, (media_type, body)) in enumerate(bodies.items()):
        (folder / str(i)).write_bytes(body)
        index[path] = [media_type, str(folder / str(i))]
    (folder / "index.json").write_text(json.dumps(index))
    port = free_port()
    process = subprocess.Popen(
        [PY, __file__, "--serve-floor", str(port), str(folder / "index.json")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server("floor", f"http://127.0.0.1:{port}", process)
    try:
        wait_ready(server.base, next(iter(bodies)), process)
    except BaseException:
        server.stop()
        raise
    return server


def serve_floor(port: int, index_file: str) -> None:
    """The floor: FastAPI + uvicorn answering each path with fixed bytes (nothing computed)."""
    import uvicorn

    index = json.loads(Path(index_file).read_text())
    bodies = {path: (media_type, Path(file).read_bytes()) for path, (media_type, file) in index.items()}
    app = FastAPI()

    @app.get("/{rest:path}")
    async def any_path(request: Request, rest: str) -> Response:
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
        media_type, body = bodies[target]
        return Response(body, media_type=media_type)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_oxigraph(nquads: Path, work: Path) -> Server | None:
    binary = OXIGRAPH if Path(OXIGRAPH).exists() else shutil.which("oxigraph")
    if not binary:
        return None
    location = work / "oxigraph"
    subprocess.run(
        [binary, "load", "--location", str(location), "--file", str(nquads)], check=True, capture_output=True
    )
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "serve",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server("oxigraph", f"http://127.0.0.1:{port}", process)
    try:
        wait_ready(server.base, "/query?query=ASK%7B%7D", process)
    except BaseException:
        server.stop()
        raise
    return server


# --- a lean keep-alive HTTP/1.1 client -----------------------------------------------------------


class RawClient:
    def __init__(self, base: str, accept: str = "*/*") -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port, self.accept = host, int(port), accept
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str) -> tuple[int, bytes, dict[str, str]]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: {self.accept}\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
        if "content-length" in headers:
            return status, await self.reader.readexactly(int(headers["content-length"])), headers
        body = bytearray()
        while True:  # chunked
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return status, bytes(body), headers
            body += await self.reader.readexactly(size)
            await self.reader.readexactly(2)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


async def fetch(base: str, target: str, accept: str = "*/*") -> tuple[int, bytes]:
    client = RawClient(base, accept)
    try:
        status, body, _ = await client.get(target)
        return status, body
    finally:
        await client.close()


@dataclass
class Figures:
    sequential_p50: float
    rps: float
    p50: float
    p99: float
    errors: int


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def measure(base: str, target: str, accept: str, concurrency: int, duration: float) -> Figures:
    client = RawClient(base, accept)
    sequential: list[float] = []
    errors = 0
    try:
        await client.get(target)  # warm-up
        stop = time.monotonic() + duration / 2
        while time.monotonic() < stop or len(sequential) < 3:
            started = time.perf_counter()
            status, _, _ = await client.get(target)
            sequential.append(time.perf_counter() - started)
            errors += status != 200
    finally:
        await client.close()
    times: list[float] = []
    stop = time.monotonic() + duration

    async def loop() -> None:
        nonlocal errors
        c = RawClient(base, accept)
        try:
            while time.monotonic() < stop:
                started = time.perf_counter()
                status, _, _ = await c.get(target)
                times.append(time.perf_counter() - started)
                errors += status != 200
        finally:
            await c.close()

    started = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    return Figures(
        statistics.median(sequential),
        len(times) / elapsed,
        percentile(times, 0.5),
        percentile(times, 0.99),
        errors,
    )


# --- the run ---------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--views", nargs="*", default=VIEWS)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per measurement (≤ 5)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to serve (default: this one)")
    parser.add_argument("--serve-floor", nargs=2, metavar=("PORT", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor(int(args.serve_floor[0]), args.serve_floor[1])
        return
    duration = min(args.duration, 5.0)
    work = Path(tempfile.mkdtemp(prefix="iopgraph-views-bench-"))
    servers: list[Server] = []
    try:
        uncached = start_iopgraph(
            "iopgraph uncached", args.root, work / "a", {"IOPGRAPH_PAGE_CACHE_BYTES": "0"}
        )
        servers.append(uncached)
        cached = start_iopgraph("iopgraph cached", args.root, work / "b", {})
        servers.append(cached)
        bodies: dict[str, tuple[str, bytes]] = {}
        for view in args.views:
            client = RawClient(uncached.base)
            status, body, headers = asyncio.run(_get(client, view))
            if status != 200:
                raise RuntimeError(f"{view}: HTTP {status}")
            bodies[view] = (headers.get("content-type", "application/octet-stream"), body)
        floor = start_floor(bodies, work)
        servers.append(floor)
        dump = work / "graph.nq"
        status, nquads = asyncio.run(fetch(uncached.base, "/dumps/iopgraph.nq"))
        dump.write_bytes(nquads)
        oxigraph = start_oxigraph(dump, work)
        if oxigraph:
            servers.append(oxigraph)
        print(
            f"views benchmark: concurrency {args.concurrency}, {duration:g} s per measurement, root {args.root}"
        )
        print()
        print(
            "| view | bytes | load | server | seq p50 ms | req/s | p50 ms | p99 ms | req/s vs floor | errors |"
        )
        print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
        for view in args.views:
            load = os.getloadavg()[0]
            runs: list[tuple[str, Server, str, str]] = [
                ("iopgraph uncached", uncached, view, "*/*"),
                ("iopgraph cached", cached, view, "*/*"),
                ("floor", floor, view, "*/*"),
            ]
            if oxigraph and view.startswith(RESOURCE_PATH):
                target = "/query?query=" + quote(CONSTRUCT, safe="")
                runs.append(("oxigraph CONSTRUCT (Turtle)", oxigraph, target, "text/turtle"))
            figures = {
                name: asyncio.run(measure(server.base, target, accept, args.concurrency, duration))
                for name, server, target, accept in runs
            }
            floor_rps = figures["floor"].rps
            for name, f in figures.items():
                print(
                    f"| `{view}` | {len(bodies[view][1]):,} | {load:.2f} | {name} | {ms(f.sequential_p50)} | "
                    f"{f.rps:,.0f} | {ms(f.p50)} | {ms(f.p99)} | {f.rps / floor_rps:.3f}× | {f.errors} |"
                )
            sys.stdout.flush()
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


async def _get(client: RawClient, target: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        return await client.get(target)
    finally:
        await client.close()


if __name__ == "__main__":
    main()
