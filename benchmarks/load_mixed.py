"""Mixed load at concurrency 32 plus one write a second, against a real `iopgraph serve` on loopback.

    .venv/bin/python benchmarks/load_mixed.py --seconds 30
    .venv/bin/python benchmarks/load_mixed.py --seconds 30 --src /tmp/main-src/src   # another checkout, same mix

The mix is the one of tests/test_load.py (SPARQL repeated and never-seen, resource
views in 4 formats, JSON-LD collections, HTML pages, dumps, the catalogue, a named
query, /readyz) over the linked-data fixture graph, 2 query workers; a writer thread
sends one SHACL-gated SPARQL Update a second. Prints requests/s, p50 and p99 of the
reads, and the writes' statuses. ``--src`` runs another source tree (for side-by-side
figures) through PYTHONPATH. ``--client wrk`` (the default when `wrk` is installed: Debian
package ``wrk``) sends the mix from `wrk` instead of the Python client, which at concurrency 32
needs a whole core of a 2-core machine itself (see benchmarks/wrk_mix.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from wrk_mix import available as wrk_available  # noqa: E402
from wrk_mix import run_wrk  # noqa: E402

from support.load import run_load  # noqa: E402
from support.project import build_project  # noqa: E402
from support.reliability import TOKEN  # noqa: E402
from support.server import ServerProcess  # noqa: E402
from test_load import discover, mix_for, with_fresh_queries  # noqa: E402

GRAPH = "https://w3id.org/iopgraph/graph/steward/load"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}


def writer(url: str, stop: threading.Event, statuses: Counter[int]) -> None:
    n = 0
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            n += 1
            started = time.monotonic()
            update = (
                "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> INSERT DATA { GRAPH <" + GRAPH + "> { "
                f'<https://w3id.org/iopgraph/id/load/{n}> rdfs:comment "write {n}" }} }}'
            )
            statuses[client.post(url + "/update", content=update, headers=AUTH).status_code] += 1
            stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--src", help="a source tree to run instead of this one (its src/ folder)")
    parser.add_argument("--client", choices=["wrk", "python"], default="wrk" if wrk_available() else "python")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iopgraph-load-") as name:
        folder = Path(name)
        env = {
            "IOPGRAPH_ROOT": str(build_project(folder)),
            "IOPGRAPH_STORE_PATH": str(folder / "store"),
            "IOPGRAPH_QUERY_WORKERS": "2",
            "IOPGRAPH_ACCESS_LOG": "false",
            "IOPGRAPH_WRITE_TOKEN": TOKEN,
            "IOPGRAPH_BASE_URL": "http://127.0.0.1",
        }
        if options.src:
            env["PYTHONPATH"] = options.src
        with ServerProcess(folder, env) as server:
            server.wait_until("/readyz", 120)
            mix = mix_for(discover(server.url))
            stop, writes = threading.Event(), Counter[int]()
            thread = threading.Thread(target=writer, args=(server.url, stop, writes), daemon=True)
            thread.start()
            try:
                if options.client == "wrk":
                    report = run_wrk(server.url, mix, options.concurrency, options.seconds)
                else:
                    result = asyncio.run(
                        run_load(
                            server.url,
                            with_fresh_queries(mix),
                            options.concurrency,
                            options.seconds,  # type: ignore[arg-type]
                            10_000_000,
                        )
                    )
                    report = {
                        "client": "python",
                        **result.summary(),
                        "statuses": dict(result.statuses),
                        "unexpected": result.unexpected[:3],
                    }
            finally:
                stop.set()
                thread.join(timeout=60)
    print({"source": options.src or str(ROOT / "src"), **report, "writes": dict(writes)})


if __name__ == "__main__":
    main()
