"""Large lists at scale: a collection's pages and its HTML list on the synthetic graph, for two checkouts.

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/large_lists.py --before /tmp/before          # 1M triples: ~45,000 initiatives
    .venv/bin/python benchmarks/large_lists.py --before /tmp/before --triples 200000

The synthetic graph of ``sparql_bench.py`` is served as a file (``iopgraph serve FILE``); each
checkout in turn restarts on the same store (built by a first start that is let finish its search
index), waits until the workers hold the graph in memory, then asks, one after another: pages 1, 2 and 3 of ``/api/initiatives``, then the
HTML list ``/initiatives`` and its page 2 while another client asks ``/healthz`` every 50 ms (the
worst ``/healthz`` time shows how long the list held up everyone else). Printed: status, bytes and
seconds of each.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
sys.path.insert(0, str(ROOT / "benchmarks"))

from restart_pair import launch, pair_parser, stop  # noqa: E402
from sparql_bench import compile_sources, generate  # noqa: E402

JSONLD = "application/ld+json"
ASKED = [
    ("/api/initiatives", JSONLD),
    ("/api/initiatives?page=2", JSONLD),
    ("/api/initiatives?page=3", JSONLD),
]
LISTS = ["/initiatives", "/initiatives?page=2"]


def serve(src: Path, data: Path, store: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A server of the code in ``src``, once its workers hold the graph in memory; its base URL."""
    before = log.read_text(errors="replace").count("answer from the in-memory copy") if log.exists() else 0
    process, base = launch(src, data, store, log)
    while log.read_text(errors="replace").count("answer from the in-memory copy") <= before:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see {log}")
        time.sleep(0.2)
    time.sleep(2)
    return process, base


def timed(client: httpx.Client, path: str, accept: str) -> tuple[int, int, float]:
    started = time.perf_counter()
    response = client.get(path, headers={"Accept": accept})
    return response.status_code, len(response.content), time.perf_counter() - started


def while_probed(base: str, client: httpx.Client, path: str) -> tuple[tuple[int, int, float], float]:
    """``path`` as HTML, and the worst /healthz time of a second client meanwhile."""
    worst = [0.0]
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=base, timeout=600) as other:
            while not done.is_set():
                started = time.perf_counter()
                other.get("/healthz")
                worst[0] = max(worst[0], time.perf_counter() - started)
                time.sleep(0.05)

    thread = threading.Thread(target=probe)
    thread.start()
    time.sleep(0.2)
    try:
        return timed(client, path, "text/html"), worst[0]
    finally:
        done.set()
        thread.join()


def main() -> None:
    args = pair_parser(__doc__).parse_args()
    work = Path(tempfile.mkdtemp(prefix="iopgraph-lists-"))
    try:
        data, store, log = work / "data.nq", work / "store", work / "serve.log"
        print(f"{generate(args.triples, data):,} triples")
        # The first start builds the store and, in the background, the search index (tens of seconds of
        # CPU at 1M): let it finish, so that neither checkout is measured beside it.
        compile_sources(args.after)
        process, _ = serve(args.after / "src", data, store, log)
        while "search index: " not in log.read_text(errors="replace"):
            time.sleep(0.5)
        stop(process)
        for name, checkout in (("after", args.after), ("before", args.before)):
            compile_sources(checkout)
            process, base = serve(checkout / "src", data, store, log)
            try:
                with httpx.Client(base_url=base, timeout=600) as client:
                    for path, accept in ASKED:
                        status, size, seconds = timed(client, path, accept)
                        print(f"{name:6s} {path:28s} {status} {size:>10,} B {seconds * 1000:8.0f} ms")
                    for path in LISTS:
                        (status, size, seconds), worst = while_probed(base, client, path)
                        print(
                            f"{name:6s} {path:28s} {status} {size:>10,} B {seconds * 1000:8.0f} ms"
                            f"   /healthz meanwhile: worst {worst * 1000:.0f} ms"
                        )
            finally:
                stop(process)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
