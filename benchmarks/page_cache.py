"""Views with and without the representation cache, on the shipped graph, against a real `iopgraph serve`.

    .venv/bin/python benchmarks/page_cache.py --seconds 5 --concurrency 8

Starts the server twice on one store (IOPGRAPH_PAGE_CACHE_BYTES=0, then the default), sends each view
from ``--concurrency`` httpx clients for ``--seconds`` (plain GETs, no If-None-Match: every answer is a
full 200), and prints requests/s and p50 per view and mode. The client runs on the same 2 cores, so the
cached figures are bounded by what httpx can send; the uncached ones by the views' store queries.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from load_support import Request, run_load  # noqa: E402
from reliability_support import ServerProcess  # noqa: E402

VIEWS = [
    ("/healthz", "text/plain"),  # the floor: the same middleware, no view
    ("/challenges", "text/html"),
    ("/matrix", "text/html"),
    ("/id/initiative/flanders-smart-data-space", "text/html"),
]


def measure(folder: Path, cache_bytes: int, seconds: float, concurrency: int) -> dict[str, dict[str, object]]:
    env = {
        "IOPGRAPH_ROOT": str(ROOT),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_QUERY_WORKERS": "1",
        "IOPGRAPH_ACCESS_LOG": "false",
        "IOPGRAPH_PAGE_CACHE_BYTES": str(cache_bytes),
    }
    figures: dict[str, dict[str, object]] = {}
    with ServerProcess(folder, env) as server:
        server.wait_until("/readyz", 300)
        for path, accept in VIEWS:
            # one request first, in both modes: the cached run then measures hits, not 8 concurrent misses
            assert httpx.get(server.url + path, headers={"Accept": accept}, timeout=120).status_code == 200
            mix = [Request("view", "GET", path, headers={"Accept": accept})]
            result = asyncio.run(run_load(server.url, mix, concurrency, seconds, 10_000_000))
            summary = result.summary()
            figures[path] = {
                k: summary[k] for k in ("requests_per_s", "p50_ms", "p99_ms", "unexpected_status")
            }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iopgraph-pagecache-") as name:
        folder = Path(name)
        uncached = measure(folder, 0, options.seconds, options.concurrency)
        cached = measure(folder, 64_000_000, options.seconds, options.concurrency)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"c={options.concurrency}, {options.seconds} s per view and mode; load average at the end {load}")
    print("| view | uncached req/s | p50 | cached req/s | p50 | × |")
    print("|---|---:|---:|---:|---:|---:|")
    for path, _ in VIEWS:
        u, c = uncached[path], cached[path]
        ratio = float(c["requests_per_s"]) / max(float(u["requests_per_s"]), 0.1)  # type: ignore[arg-type]
        print(
            f"| `{path}` | {u['requests_per_s']} | {u['p50_ms']} ms | {c['requests_per_s']} | "
            f"{c['p50_ms']} ms | {ratio:.0f}× |"
        )


if __name__ == "__main__":
    main()
