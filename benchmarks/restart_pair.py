"""Restart of `iopgraph serve` on one persisted store: two checkouts side by side, alternating.

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/restart_pair.py --before /tmp/before        # 1M triples, 6 restarts each
    .venv/bin/python benchmarks/restart_pair.py --before /tmp/before --triples 100000 --reps 9

The synthetic graph of ``sparql_bench.py`` is written once as N-Quads and served as a file
(``iopgraph serve FILE``, as ``sparql_bench.py`` does); the first start builds the store and is
let finish its background work. Then each checkout restarts it ``--reps`` times, in turns
(before, after, after, before, ...), so that both see the same machine: this machine's speed
drifts by tens of per cent over minutes, more than most changes to the start-up. Printed: the
seconds from the process start until a SPARQL query is answered, per restart, with the medians.
Both checkouts run with this checkout's virtual environment (``PYTHONPATH`` picks the code), each
with the bytecode of its ``src/`` written first, as ``make run`` does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
sys.path.insert(0, str(ROOT / "benchmarks"))

from sparql_bench import compile_sources, free_port, generate  # noqa: E402


def launch(src: Path, data: Path, store: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``iopgraph serve DATA`` with the code in ``src`` on ``store`` (output appended to ``log``); its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOPGRAPH_")}
    env.update(
        IOPGRAPH_STORE_PATH=str(store),
        IOPGRAPH_ACCESS_LOG="false",
        IOPGRAPH_QUERY_TIMEOUT="300",
        IOPGRAPH_ROOT=str(ROOT),
        PYTHONPATH=str(src),
    )
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [PY, "-m", "iopgraph.cli", "serve", str(data), "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    return process, f"http://127.0.0.1:{port}"


def start(src: Path, data: Path, store: Path, log: Path) -> tuple[subprocess.Popen[bytes], float]:
    """Start a server of the code in ``src``; the seconds until it answers a query."""
    started = time.monotonic()
    process, base = launch(src, data, store, log)
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see {log}")
        try:
            answer = httpx.get(base + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=10)
            if answer.status_code == 200:
                return process, time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.01)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=60)


def pair_parser(description: str | None) -> argparse.ArgumentParser:
    """The options of a benchmark of two checkouts on one synthetic graph: --before, --after, --triples."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, required=True, help="the other checkout (its src/ is served)")
    parser.add_argument("--after", type=Path, default=ROOT, help="default: this checkout")
    parser.add_argument("--triples", type=int, default=1_000_000)
    return parser


def main() -> None:
    parser = pair_parser(__doc__)
    parser.add_argument("--reps", type=int, default=6)
    args = parser.parse_args()
    sources = {"before": args.before / "src", "after": args.after / "src"}
    for checkout in (args.before, args.after):
        compile_sources(checkout)  # both with their bytecode written, as `make run` leaves them
    work = Path(tempfile.mkdtemp(prefix="iopgraph-restart-"))
    try:
        data, store, log = work / "data.nq", work / "store", work / "serve.log"
        count = generate(args.triples, data)
        process, first = start(sources["after"], data, store, log)
        while "search index: " not in log.read_text(errors="replace"):  # its background work, done
            time.sleep(0.5)
        stop(process)
        print(f"{count:,} triples; first start (after) {first:.2f} s")
        times: dict[str, list[float]] = {"before": [], "after": []}
        for rep in range(args.reps):
            for name in ("before", "after") if rep % 2 == 0 else ("after", "before"):
                process, seconds = start(sources[name], data, store, log)
                time.sleep(2)  # let it settle before it stops, as a service that ran would
                stop(process)
                times[name].append(seconds)
        for name, found in times.items():
            print(
                f"{name:6s} restart, first answer: median {statistics.median(found):.2f} s, "
                f"min {min(found):.2f} s  ({', '.join(f'{t:.2f}' for t in found)})"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
