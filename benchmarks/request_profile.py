"""In-process profile of one request through the whole ASGI app (middleware, routing, route), no sockets.

    .venv/bin/python benchmarks/request_profile.py                       # cached resource page, 2,000 requests
    .venv/bin/python benchmarks/request_profile.py --path '/sparql?query=...' --unique --n 500 --profile
    .venv/bin/python benchmarks/request_profile.py --path / --accept text/html --top 30 --profile

Builds a store of the shipped graph in a temporary folder, runs the app's lifespan, then
calls the app ``--n`` times with a GET for ``--path`` and prints the CPU time per request
(``time.process_time``: the server process's own work; uvicorn's HTTP parsing and the
query workers are not in it). ``--profile`` prints the costliest functions (cProfile,
cumulative). ``--log`` keeps the access log on (to a discarded stream), as a deployment has it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import pstats
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESOURCE_PATH = "/id/initiative/flanders-smart-data-space"


async def run(args: argparse.Namespace) -> None:
    from iopgraph.app import create_app
    from iopgraph.core.settings import Settings

    work = Path(tempfile.mkdtemp(prefix="iopgraph-request-profile-"))
    try:
        settings = Settings(
            root=ROOT, store_path=work / "store", build_dir=work / "build", access_log=args.log
        )
        if args.log:
            handler = logging.StreamHandler(io.StringIO())
            access = logging.getLogger("iopgraph.access")
            access.addHandler(handler)
            access.setLevel(logging.INFO)
            access.propagate = False
        app = create_app(settings)
        path, _, query = args.path.partition("?")
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"accept", args.accept.encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        counter = iter(range(10**9))

        async def one() -> None:
            request = {**scope, "headers": list(scope["headers"])}
            if args.unique:  # a trailing comment makes each query new: no result cache answers it
                request["query_string"] = scope["query_string"] + b"%0A%23" + str(next(counter)).encode()
            await app(request, receive, send)  # type: ignore[arg-type]

        lifespan: dict[str, Any] = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        started = asyncio.Event()
        stop = asyncio.Event()

        async def lifespan_receive() -> dict[str, Any]:
            if not started.is_set():
                return {"type": "lifespan.startup"}
            await stop.wait()
            return {"type": "lifespan.shutdown"}

        async def lifespan_send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()
            elif message["type"] == "lifespan.startup.failed":
                raise RuntimeError(message.get("message"))

        task = asyncio.create_task(app(lifespan, lifespan_receive, lifespan_send))  # type: ignore[arg-type]
        await started.wait()
        for _ in range(20):  # warm-up: fills the caches
            await one()
        profiler = cProfile.Profile() if args.profile else None
        cpu = time.process_time()
        wall = time.perf_counter()
        if profiler:
            profiler.enable()
        for _ in range(args.n):
            await one()
        if profiler:
            profiler.disable()
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        print(
            f"{args.path} ({args.accept}): statuses {sorted(set(statuses))}, "
            f"{cpu / args.n * 1e6:.0f} µs CPU / {wall / args.n * 1e6:.0f} µs wall per request over {args.n}"
        )
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
        stop.set()
        await task
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--path", default=RESOURCE_PATH)
    parser.add_argument("--accept", default="text/html")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--log", action="store_true", help="access log on (to a discarded stream)")
    parser.add_argument("--unique", action="store_true", help="append a different comment to each query")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
