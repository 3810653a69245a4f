"""Validation benchmarks: full validation, and a single-resource SHACL-gated write, on synthetic graphs.

    .venv/bin/python benchmarks/validation.py --sizes 10000 100000 --full-up-to 100000
    .venv/bin/python benchmarks/validation.py --sizes 1000000 --full-up-to 0      # gated write at 1M

The synthetic graph follows the stewardship test shapes (tests/fixtures/steward/shapes):
projects in cities, led by organisations based in places, addressing challenges in
skos:broader chains under families, with parts (inverse paths), tags (closed
shapes) and a SPARQL constraint over ``skos:broader*``. One resource in 400 is
planted with a violation, so full validation has results to report.

For each size it measures, each in a fresh subprocess (so peak memory is the
run's own):

* ``parse``: N-Quads → Oxigraph store, and → rdflib graph (what pySHACL reads);
* ``full``: pySHACL over the whole graph (our ``validate_graph``), time and peak RSS;
* ``write``: a new 19-triple project written through the gate — the
  shape-aware neighbourhood check (median of 20) and, up to ``--full-up-to``
  triples, the full before/after check; both verdicts are printed and must agree;
* ``compiled``: the shapes compiled to SPARQL on the Oxigraph store (``iopgraph.shacl``), time,
  peak RSS and verdict counts;
* ``pyrudof``: the same data and shapes with pyrudof, if it is installed
  (``pip install -r benchmarks/requirements.txt``).

Results are appended by hand to benchmarks/RESULTS.md with the command line.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "steward"
EX = "http://example.org/ns#"
ID = "http://example.org/id/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DCT = "http://purl.org/dc/terms/"


def generate(triples: int, seed: int = 7) -> tuple[str, int]:
    """N-Triples of about ``triples`` triples; returns the text and the number of planted violations."""
    rnd = random.Random(seed)
    lines: list[str] = []
    planted = 0

    def t(s: str, p: str, o: str) -> None:
        lines.append(f"<{s}> <{p}> {o} .")

    def iri(x: str) -> str:
        return f"<{x}>"

    cities = [f"{ID}city{i}" for i in range(max(10, triples // 2000))]
    for c in cities:
        t(c, TYPE, iri(EX + "City"))
        t(c, RDFS + "label", f'"{c.rsplit("/", 1)[1]}"@en')
    families = [f"{ID}family{i}" for i in range(10)]
    for f in families:
        t(f, TYPE, iri(EX + "Family"))
    challenges = []
    for i in range(max(50, triples // 400)):
        c = f"{ID}challenge{i}"
        parent = rnd.choice(families + challenges[-50:]) if challenges else rnd.choice(families)
        t(c, TYPE, iri(EX + "Challenge"))
        t(c, SKOS + "broader", iri(parent))
        challenges.append(c)
    orgs = []
    for i in range(max(20, triples // 1000)):
        o = f"{ID}org{i}"
        t(o, TYPE, iri(EX + "Organisation"))
        t(o, RDFS + "label", f'"Organisation {i}"@en')
        t(o, EX + "basedIn", iri(rnd.choice(cities)))
        orgs.append(o)
    i = 0
    while len(lines) < triples:
        p = f"{ID}project{i}"
        bad = i % 400 == 399
        t(p, TYPE, iri(EX + "Project"))
        t(p, RDFS + "label", f'"Project {i}"@en')
        t(p, DCT + "description", f'"A synthetic project number {i}."@en')
        t(p, EX + "city", iri(rnd.choice(orgs) if bad else rnd.choice(cities)))  # planted: class violation
        t(p, EX + "lead", iri(rnd.choice(orgs)))
        t(p, EX + "addresses", iri(rnd.choice(challenges)))
        for k in range(2):
            t(f"{p}-part{k}", EX + "partOf", iri(p))
        planted += bad
        i += 1
    return "\n".join(lines) + "\n", planted


NEW_PROJECT = f"""
<{ID}new> a <{EX}Project> ; <{RDFS}label> "New project"@en ; <{DCT}description> "d"@en ;
  <{EX}city> <{ID}city1> ; <{EX}lead> <{ID}org1> ; <{EX}addresses> <{ID}challenge7> .
<{ID}new-part0> <{EX}partOf> <{ID}new> . <{ID}new-part1> <{EX}partOf> <{ID}new> .
<{ID}new-tag> a <{EX}Tag> ; <{RDFS}label> "t"@en .
<{ID}new-org> a <{EX}Organisation> ; <{RDFS}label> "O"@en ; <{EX}basedIn> <{ID}city2> .
<{ID}new-c> a <{EX}Challenge> ; <{SKOS}broader> <{ID}challenge3> .
<{ID}new> <{EX}altLabel> "NP"@en .
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(kind: str, data: Path, triples: int) -> dict[str, object]:
    """One measurement in this process (called in a subprocess by main)."""
    import pyoxigraph as ox

    sys.path.insert(0, str(ROOT / "src"))
    from iopgraph.core.rdfio import quads_to_graph
    from iopgraph.stewardship.changes import Change
    from iopgraph.stewardship.checks import Checker
    from iopgraph.validation import load_graph, load_shapes, validate_graph

    shapes = load_shapes(FIXTURE)
    ontology = load_graph(
        [
            f
            for f in __import__("iopgraph.core.sources", fromlist=["x"]).graph_sources(FIXTURE)
            if f.relative.startswith("ontology/")
        ]
    ).graph
    t0 = time.perf_counter()
    store = ox.Store()
    store.bulk_load(
        path=str(data), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("http://example.org/g")
    )
    for q in ox.parse(path=str(FIXTURE / "ontology" / "mini.ttl"), format=ox.RdfFormat.TURTLE):
        store.add(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode("http://example.org/ontology")))
    load_s = time.perf_counter() - t0
    out: dict[str, object] = {"kind": kind, "triples": triples, "oxigraph_load_s": round(load_s, 2)}
    if kind == "full":
        t0 = time.perf_counter()
        graph = quads_to_graph(store.quads_for_pattern(None, None, None))
        out["to_rdflib_s"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        report = validate_graph(graph, shapes, None)
        out["pyshacl_s"] = round(time.perf_counter() - t0, 2)
        out["violations"] = len(report.violations)
    elif kind == "compiled":
        from iopgraph.shacl import validate_store

        t0 = time.perf_counter()
        report = validate_store(store, shapes)
        out["compiled_s"] = round(time.perf_counter() - t0, 2)
        out["violations"] = len(report.violations)
        out["warnings"] = len(report.warnings)
    elif kind == "write":
        checker = Checker(shapes, ontology)
        quads = [
            ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode("http://example.org/new"))
            for q in ox.parse(NEW_PROJECT.encode(), ox.RdfFormat.TURTLE)
        ]
        change = Change([], quads).normalised(store)
        out["new_triples"] = len(change.add)
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            fast = checker.check_change(store, change, "neighbourhood")
            times.append(time.perf_counter() - t0)
        out["neighbourhood_median_ms"] = round(statistics.median(times) * 1000, 1)
        out["neighbourhood_accepted"] = fast.accepted
        out["focus_nodes"] = fast.focus_nodes
        bad = Change(
            [],
            quads
            + [
                ox.Quad(
                    ox.NamedNode(ID + "new"),
                    ox.NamedNode(EX + "city"),
                    ox.NamedNode(ID + "org1"),
                    ox.NamedNode("http://example.org/new"),
                )
            ],
        )
        bad = bad.normalised(store)
        out["neighbourhood_rejects_bad"] = not checker.check_change(store, bad, "neighbourhood").accepted
    elif kind == "write-full":
        checker = Checker(shapes, ontology)
        quads = [
            ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode("http://example.org/new"))
            for q in ox.parse(NEW_PROJECT.encode(), ox.RdfFormat.TURTLE)
        ]
        change = Change([], quads).normalised(store)
        t0 = time.perf_counter()
        full = checker.check_change(store, change, "full")
        out["full_check_s"] = round(time.perf_counter() - t0, 2)
        out["full_accepted"] = full.accepted
    elif kind == "pyrudof":
        try:
            import pyrudof  # type: ignore[import-not-found]
        except ImportError:
            out["skipped"] = "pyrudof is not installed (pip install -r benchmarks/requirements.txt)"
            return out
        t0 = time.perf_counter()
        rudof = pyrudof.Rudof(pyrudof.RudofConfig())
        rudof.read_data(str(data), pyrudof.RDFFormat.NTriples)
        rudof.read_data(str(FIXTURE / "ontology" / "mini.ttl"), pyrudof.RDFFormat.Turtle)
        rudof.read_shacl(str(FIXTURE / "shapes" / "mini.ttl"))
        report = rudof.validate_shacl()
        out["pyrudof_s"] = round(time.perf_counter() - t0, 2)
        out["pyrudof_conforms"] = report.conforms
        try:
            out["pyrudof_violations"] = (
                len(list(report.violations))
                if not callable(report.violations)
                else len(list(report.violations()))
            )
        except Exception as exc:  # the report API differs between pyrudof versions
            out["pyrudof_violations"] = f"n/a ({type(exc).__name__})"
    out["peak_rss_mb"] = round(peak_rss_mb())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--full-up-to",
        type=int,
        default=100_000,
        help="largest size for which full validation (and the full gated check) is run",
    )
    parser.add_argument(
        "--compiled-up-to",
        type=int,
        default=1_000_000,
        help="largest size for which the compiled engine (shapes as SPARQL) and pyrudof are run",
    )
    parser.add_argument(
        "--kinds", nargs="+", help="only these measurements (write, full, write-full, compiled, pyrudof)"
    )
    parser.add_argument("--case", nargs=3, metavar=("KIND", "DATA", "TRIPLES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        kind, data, triples = args.case
        print(json.dumps(run_case(kind, Path(data), int(triples))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            text, planted = generate(size)
            data = Path(tmp) / f"data-{size}.nt"
            data.write_text(text)
            n = text.count("\n")
            print(f"# {n} triples, {planted} planted violations", flush=True)
            kinds = ["write"] + (["full", "write-full"] if size <= args.full_up_to else [])
            kinds += ["compiled", "pyrudof"] if size <= args.compiled_up_to else []
            kinds = [k for k in kinds if not args.kinds or k in args.kinds]
            for kind in kinds:
                result = subprocess.run(
                    [sys.executable, __file__, "--case", kind, str(data), str(n)],
                    capture_output=True,
                    text=True,
                )
                line = (
                    result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-500:]
                )
                print(line, flush=True)


if __name__ == "__main__":
    main()
