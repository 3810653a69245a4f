"""Search benchmark (issue 14): index build time, search and suggest latency (p50/p95).

Two graphs: the shipped one (ontology/ + data/), and a synthetic graph of N
resources (default 100,000) shaped like the shipped data: mitigations, challenges
under families, statistics, organisations and footnotes with labels,
descriptions, quotes, sections and links; their words are drawn from the shipped
graph's own text, so term frequencies are realistic.

For each graph: build = reading the records from an Oxigraph store + writing the
SQLite FTS5 index (what a start-up without a reusable index does); then search
and suggest latency through the index's own API (``SearchIndex.search`` /
``suggest``: the work an HTTP request adds to), over queries sampled from the
graph's words (one to three words; facet counts included) and prefixes of two to
six letters. With ``--http`` the shipped graph is also measured through a real
`iopgraph serve` on a free loopback port (the full request path).

    .venv/bin/python benchmarks/search_bench.py                  # shipped + 100k
    .venv/bin/python benchmarks/search_bench.py --sizes 10000 --http
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from iopgraph.core.namespaces import CONCEPT, ID, ONTOLOGY, PREFIXES, RDF_TYPE, REPORT  # noqa: E402
from iopgraph.core.sources import graph_sources  # noqa: E402
from iopgraph.search.index import SearchIndex  # noqa: E402
from iopgraph.search.query import parse  # noqa: E402
from iopgraph.search.records import read_records  # noqa: E402
from iopgraph.store.backend import LocalBackend  # noqa: E402
from iopgraph.store.local import load_sources  # noqa: E402

IOP, RDFS, DCT, SKOS = ONTOLOGY, PREFIXES["rdfs"], PREFIXES["dcterms"], PREFIXES["skos"]
WORD = re.compile(r"[^\W\d_]{3,}")


def shipped_store() -> ox.Store:
    store = ox.Store()
    load_sources(store, graph_sources(ROOT))
    return store


def vocabulary(store: ox.Store) -> list[str]:
    """Every word of the shipped graph's literals, with repetition (a sample keeps their frequencies)."""
    words: list[str] = []
    for q in store.quads_for_pattern(None, None, None):
        if isinstance(q.object, ox.Literal):
            words += WORD.findall(q.object.value)
    return words


def synthetic_store(size: int, words: list[str], seed: int = 7) -> ox.Store:
    rng = random.Random(seed)
    g = ox.NamedNode("https://w3id.org/iopgraph/graph/data/synthetic")

    def text(n: int) -> ox.Literal:
        return ox.Literal(" ".join(rng.choice(words) for _ in range(n)), language="en")

    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    quads: list[ox.Quad] = []
    add = quads.append
    families = [n(f"{CONCEPT}challenge/synthetic-family-{i}") for i in range(4)]
    challenges = [n(f"{CONCEPT}challenge/synthetic-{i}") for i in range(max(10, size // 100))]
    sections = [n(f"{REPORT}/section/synthetic-{i}") for i in range(200)]
    use_cases = [n(f"{ID}initiative/synthetic-use-case-{i}") for i in range(4)]
    for f in families:
        add(ox.Quad(f, RDF_TYPE, n(IOP + "ChallengeFamily"), g))
        add(ox.Quad(f, n(SKOS + "prefLabel"), text(3), g))
    for c in challenges:
        add(ox.Quad(c, RDF_TYPE, n(IOP + "SubChallenge"), g))
        add(ox.Quad(c, n(SKOS + "prefLabel"), text(4), g))
        add(ox.Quad(c, n(SKOS + "definition"), text(40), g))
        add(ox.Quad(c, n(SKOS + "broader"), rng.choice(families), g))
        add(ox.Quad(c, n(IOP + "observedIn"), rng.choice(use_cases), g))
    for i, s in enumerate(sections):
        add(ox.Quad(s, RDF_TYPE, n(IOP + "ReportSection"), g))
        add(ox.Quad(s, n(RDFS + "label"), text(4), g))
        add(ox.Quad(s, n(DCT + "isPartOf"), n(REPORT), g))
        add(ox.Quad(s, n(IOP + "order"), ox.Literal(str(i), datatype=n(PREFIXES["xsd"] + "integer")), g))
    for u in use_cases:
        add(ox.Quad(u, RDF_TYPE, n(IOP + "LocalDigitalTwin"), g))
        add(ox.Quad(u, n(RDFS + "label"), text(3), g))
        add(ox.Quad(u, n(IOP + "isUseCase"), ox.Literal("true", datatype=n(PREFIXES["xsd"] + "boolean")), g))
    kinds = ("Mitigation", "Statistic", "Footnote", "GoodPractice")
    for i in range(size - len(challenges) - len(sections) - len(families) - len(use_cases)):
        kind = kinds[i % len(kinds)]
        r = n(f"{ID}synthetic/{kind.lower()}-{i}")
        add(ox.Quad(r, RDF_TYPE, n(IOP + kind), g))
        add(ox.Quad(r, n(RDFS + "label"), text(rng.randint(3, 8)), g))
        add(ox.Quad(r, n(DCT + "description"), text(rng.randint(20, 60)), g))
        if i % 2 == 0:
            add(ox.Quad(r, n(IOP + "quote"), text(rng.randint(15, 40)), g))
        add(ox.Quad(r, n(IOP + "section"), rng.choice(sections), g))
        if kind in ("Mitigation", "GoodPractice"):
            add(ox.Quad(r, n(IOP + "addresses"), rng.choice(challenges), g))
            add(ox.Quad(r, n(IOP + "evidenceBasis"), n(f"{CONCEPT}evidence-basis/literature"), g))
        elif kind == "Statistic":
            add(ox.Quad(r, n(IOP + "describes"), rng.choice(challenges), g))
    store = ox.Store()
    store.bulk_extend(quads)
    return store


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


class Clock:
    """Wall-clock and CPU time (this process) of a block: on a shared, loaded machine the CPU time is the
    work itself, the wall time includes waiting for a core."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def measure(label: str, store: ox.Store, words: list[str], rounds: int, seed: int = 11) -> dict[str, object]:
    backend = LocalBackend(store)
    with Clock() as read:
        records = asyncio.run(read_records(backend))
    index = SearchIndex(None)
    with Clock() as write:
        index.rebuild(records, None)
    rng = random.Random(seed)
    distinct = sorted(set(w.lower() for w in words))
    queries = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 3))) for _ in range(rounds)]
    prefixes = [w[: rng.randint(2, min(6, len(w)))] for w in (rng.choice(distinct) for _ in range(rounds))]
    search_ms, search_cpu, suggest_ms, suggest_cpu, totals = [], [], [], [], []
    for q in queries:
        with Clock() as c:
            page = index.search(parse(q), {}, 0, 20)
        search_ms.append(c.wall * 1000)
        search_cpu.append(c.cpu * 1000)
        totals.append(page.total)
    for prefix in prefixes:
        with Clock() as c:
            index.suggest(parse(prefix, prefix_last=True), 8)
        suggest_ms.append(c.wall * 1000)
        suggest_cpu.append(c.cpu * 1000)
    result = {
        "graph": label,
        "resources": len(records),
        "quads": len(store),
        "build_wall": read.wall + write.wall,
        "build_cpu": read.cpu + write.cpu,
        "read_cpu": read.cpu,
        "write_cpu": write.cpu,
        "search_p50": statistics.median(search_ms),
        "search_cpu_p50": statistics.median(search_cpu),
        "search_p95": percentile(search_ms, 0.95),
        "suggest_p50": statistics.median(suggest_ms),
        "suggest_cpu_p50": statistics.median(suggest_cpu),
        "suggest_p95": percentile(suggest_ms, 0.95),
        "median_hits": statistics.median(totals),
        "rounds": rounds,
    }
    index.close()
    return result


def measure_http(rounds: int, words: list[str]) -> dict[str, float]:
    import httpx

    from support.server import serve

    rng = random.Random(5)
    distinct = sorted(set(w.lower() for w in words))
    with (
        serve(
            [],
            {"IOPGRAPH_QUERY_WORKERS": "1", "IOPGRAPH_STORE_PATH": str(ROOT / "var" / "bench-search-store")},
            timeout=180,
        ) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        search_ms, suggest_ms = [], []
        for _ in range(rounds):
            q = " ".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
            t = time.perf_counter()
            assert client.get("/api/search", params={"q": q}).status_code == 200
            search_ms.append((time.perf_counter() - t) * 1000)
            w = rng.choice(distinct)
            t = time.perf_counter()
            assert (
                client.get(
                    "/api/search/suggest", params={"q": w[: rng.randint(2, min(6, len(w)))]}
                ).status_code
                == 200
            )
            suggest_ms.append((time.perf_counter() - t) * 1000)
    return {"search_p50": statistics.median(search_ms), "suggest_p50": statistics.median(suggest_ms)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument(
        "--http", action="store_true", help="also measure the shipped graph through iopgraph serve"
    )
    args = parser.parse_args()
    shipped = shipped_store()
    words = vocabulary(shipped)
    rows = [measure("shipped", shipped, words, args.rounds)]
    for size in args.sizes:
        t = time.perf_counter()
        store = synthetic_store(size, words)
        print(
            f"synthetic graph of {size:,} resources generated in {time.perf_counter() - t:.1f} s",
            file=sys.stderr,
        )
        rows.append(measure(f"synthetic {size:,}", store, words, args.rounds))
        del store
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        "| graph | resources | quads | build wall (CPU: read + index) | search p50 wall / CPU (p95 wall) "
        "| suggest p50 wall / CPU (p95 wall) | median hits |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['graph']} | {r['resources']:,} | {r['quads']:,} | {r['build_wall']:.1f} s "
            f"({r['build_cpu']:.1f} s: {r['read_cpu']:.1f} + {r['write_cpu']:.1f}) | "
            f"{r['search_p50']:.1f} / {r['search_cpu_p50']:.1f} ms ({r['search_p95']:.0f}) | "
            f"{r['suggest_p50']:.1f} / {r['suggest_cpu_p50']:.1f} ms ({r['suggest_p95']:.0f}) | "
            f"{r['median_hits']:,.0f} |"
        )
    if args.http:
        h = measure_http(args.rounds, words)
        print(
            f"\nThrough `iopgraph serve` (shipped graph, HTTP on 127.0.0.1): search p50 {h['search_p50']:.1f} ms, "
            f"suggest p50 {h['suggest_p50']:.1f} ms"
        )


if __name__ == "__main__":
    main()
