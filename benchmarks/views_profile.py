"""In-process profile of the views: store queries per view and the CPU time a view costs (no HTTP).

    .venv/bin/python benchmarks/views_profile.py                      # builds a store of the shipped graph
    .venv/bin/python benchmarks/views_profile.py --store var/store -v # an existing store (opened read-only)
    .venv/bin/python benchmarks/views_profile.py --memory             # the same views on an in-memory copy
    PYTHONPATH=OLD/src .venv/bin/python benchmarks/views_profile.py   # another checkout, same harness

Each view model is computed ``--reps`` times over a ``LocalBackend`` of the on-disk
store (as the server does: the service's own queries run on it in threads); printed:
the best CPU time of the process (``time.process_time``, less sensitive to a loaded
machine than wall time), the number of store queries and their wall time, and with
``-v`` the costliest queries. Rendering (Jinja, JSON-LD serialisation) is not included.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from iopgraph.store.backend import LocalBackend

ROOT = Path(__file__).resolve().parents[1]
RESOURCE = "https://w3id.org/iopgraph/id/initiative/flanders-smart-data-space"
METHODS = ("select", "construct", "ask", "quads", "run_query")


class Timed:
    """A backend that records each call of the query methods: (method, wall ms, first characters)."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.log: list[tuple[str, float, str]] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.backend, name)
        if name not in METHODS:
            return attribute

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = await attribute(*args, **kwargs)
            text = str(getattr(args[0], "query", args[0]) if args else "")
            self.log.append((name, (time.perf_counter() - started) * 1000, " ".join(text.split())[:150]))
            return result

        return timed


def views() -> dict[str, Callable[[Any], Awaitable[object]]]:
    from iopgraph.views import documents, pages
    from iopgraph.views import guidance as g
    from iopgraph.views.collections import COLLECTIONS, collection_page
    from iopgraph.views.describe import describe

    iri = ox.NamedNode(RESOURCE)

    async def resource_html(b: Any) -> object:
        return await documents.description_page(b, await describe(b, iri), "http://localhost/context")

    return {
        "/": pages.counts,
        "/challenges": pages.challenge_tree,
        "/matrix": pages.matrix,
        "resource HTML": resource_html,
        "resource JSON-LD/Turtle": lambda b: describe(b, iri),
        "/api/challenges": lambda b: collection_page(b, COLLECTIONS["challenges"], [], 1, 50),
        "/api/mitigations?limit=100": lambda b: collection_page(b, COLLECTIONS["mitigations"], [], 1, 100),
        "/mitigations": lambda b: pages.cards(b, "mitigations"),
        "/organisations": lambda b: pages.cards(b, "organisations"),
        "/use-cases": pages.use_cases,
        "/statistics": pages.statistics,
        "/guidance?challenge=lack-of-trust": lambda b: g.guidance(b, g.parse_challenges(["lack-of-trust"])),
    }


async def profile(store: ox.Store, reps: int, verbose: bool) -> None:
    backend = LocalBackend(store)
    print("| view | CPU ms (best) | queries | query wall ms |")
    print("|---|---:|---:|---:|")
    details = []
    for name, view in views().items():
        best: tuple[float, list[tuple[str, float, str]]] | None = None
        for _ in range(reps):
            timed = Timed(backend)
            started = time.process_time()
            await view(timed)
            cpu = (time.process_time() - started) * 1000
            if best is None or cpu < best[0]:
                best = (cpu, timed.log)
        assert best is not None
        cpu, log = best
        print(f"| `{name}` | {cpu:.1f} | {len(log)} | {sum(ms for _, ms, _ in log):.1f} |")
        details.append((name, log))
    if verbose:
        for name, log in details:
            print(f"\n{name}")
            by_text: dict[str, list[float]] = defaultdict(list)
            for _, ms, text in log:
                by_text[text].append(ms)
            for text, times in sorted(by_text.items(), key=lambda kv: -sum(kv[1]))[:8]:
                print(f"  {len(times)}x {sum(times):6.1f} ms  {text}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", type=Path, help="an existing on-disk store (default: build one)")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--memory", action="store_true", help="copy the store into memory first (what if)")
    args = parser.parse_args()
    work = None
    if args.store:
        store = ox.Store.read_only(str(args.store))
    else:
        from iopgraph.core.sources import graph_sources
        from iopgraph.store.local import load_sources

        work = Path(tempfile.mkdtemp(prefix="iopgraph-views-profile-"))
        store = ox.Store(str(work / "store"))
        load_sources(store, graph_sources(ROOT))
    if args.memory:
        copy = ox.Store()
        copy.extend(list(store.quads_for_pattern(None, None, None)))
        store = copy
    try:
        asyncio.run(profile(store, args.reps, args.verbose))
    finally:
        del store
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
