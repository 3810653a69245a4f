"""The compiled SHACL engine (shapes as SPARQL on Oxigraph) reports what pySHACL reports.

Compared result by result (severity, focus node, path, value, constraint component, shape,
message) on the shipped graph with the project's shapes, on graphs with hundreds of planted
faults (deleted triples, swapped objects, retyped literals), and on the synthetic graphs of the
validation benchmark with the stewardship test shapes (closed shapes, sequence, inverse and ``*``
paths, qualified and SPARQL constraints). Two things pySHACL reports are left out of the
comparison, as docs/validation-at-scale.md explains: the nested results it attaches under
``sh:detail`` (SHACL reports only the ``sh:node`` result itself), and nothing else.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import random
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import SH
from typer.testing import CliRunner

from iopgraph.cli import app
from iopgraph.core.rdfio import from_rdflib, quads_to_graph
from iopgraph.core.sources import graph_sources
from iopgraph.shacl import validate_store
from iopgraph.validation import ValidationResult, load_graph, load_shapes, read_results, validate_graph
from support.paths import ROOT

Key = tuple[str | None, ...]


def _key(result: ValidationResult) -> Key:
    def blank(text: str | None) -> str | None:
        return re.sub(r"_:\S+", "_:", text) if text else text

    return (
        result.severity,
        blank(result.focus_node),
        blank(result.path),
        blank(result.value),
        result.constraint,
        result.shape,
        result.message,
    )


def _store(graph: rdflib.Graph) -> ox.Store:
    store = ox.Store()
    store.bulk_extend(ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o)) for s, p, o in graph)
    return store


def _compare(
    graph: rdflib.Graph, shapes: rdflib.Graph
) -> tuple[collections.Counter[Key], collections.Counter[Key]]:
    reference = validate_graph(graph, shapes, None, {})
    report = reference.report_graph
    for nested in set(report.objects(None, SH.detail)):
        report.remove((nested, None, None))
    expected = collections.Counter(map(_key, read_results(report, {}, shapes)))
    compiled = collections.Counter(map(_key, validate_store(_store(graph), shapes).results))
    return expected, compiled


def _mutate(graph: rdflib.Graph, seed: int, changes: int) -> rdflib.Graph:
    """A copy of ``graph`` with ``changes`` deletions, as many swapped objects, and retyped literals."""
    rnd = random.Random(seed)
    out = rdflib.Graph()
    out += graph
    triples = sorted(graph, key=str)
    objects = [o for _, _, o in triples]
    for triple in rnd.sample(triples, changes):
        out.remove(triple)
    for s, p, o in rnd.sample(triples, changes):
        out.remove((s, p, o))
        out.add((s, p, rnd.choice(objects)))
    literals = [t for t in triples if isinstance(t[2], rdflib.Literal) and t[2].datatype is None]
    for s, p, o in rnd.sample(literals, min(len(literals), changes // 3)):
        out.remove((s, p, o))
        kind = rnd.randrange(4)
        if kind == 0:
            out.add((s, p, rdflib.Literal(str(o), lang="fr")))
        elif kind == 1:
            out.add((s, p, rdflib.Literal(str(o))))
        elif kind == 2:
            out.add((s, p, rdflib.Literal("not-a-date", datatype=rdflib.XSD.date)))
        else:
            out.add((s, p, o))
            out.add((s, p, rdflib.Literal(f"{o} again", lang=o.language or "en")))
    return out


def _assert_same(expected: collections.Counter[Key], compiled: collections.Counter[Key]) -> None:
    missing = sorted(expected - compiled, key=str)[:10]
    extra = sorted(compiled - expected, key=str)[:10]
    assert (missing, extra) == ([], []), f"missing from the compiled report: {missing}; extra: {extra}"


@pytest.fixture(scope="module")
def shipped() -> tuple[rdflib.Graph, rdflib.Graph]:
    return load_graph(graph_sources(ROOT)).graph, load_shapes(ROOT)


def test_shipped_graph_conforms_in_both(shipped: tuple[rdflib.Graph, rdflib.Graph]) -> None:
    graph, shapes = shipped
    expected, compiled = _compare(graph, shapes)
    assert expected == compiled == collections.Counter()


def test_shipped_graph_with_planted_faults(shipped: tuple[rdflib.Graph, rdflib.Graph]) -> None:
    graph, shapes = shipped
    expected, compiled = _compare(_mutate(graph, seed=3, changes=150), shapes)
    components = {key[4] for key in expected}
    # The faults reach most kinds of constraint the shapes use, so the comparison means something.
    assert {
        "MinCountConstraintComponent",
        "ClassConstraintComponent",
        "OrConstraintComponent",
        "DatatypeConstraintComponent",
        "NodeConstraintComponent",
        "SPARQLConstraintComponent",
    } <= components, components
    assert sum(expected.values()) > 200
    _assert_same(expected, compiled)


def _benchmark_module() -> object:
    spec = importlib.util.spec_from_file_location("validation_bench", ROOT / "benchmarks" / "validation.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seed", [1, 2])
def test_steward_shapes_on_a_synthetic_graph(seed: int) -> None:
    bench = _benchmark_module()
    fixture: Path = bench.FIXTURE  # type: ignore[attr-defined]
    text, planted = bench.generate(6000, seed=seed)  # type: ignore[attr-defined]
    store = ox.Store()
    store.bulk_extend(
        ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(text.encode(), ox.RdfFormat.N_TRIPLES)
    )
    for q in ox.parse(path=str(fixture / "ontology" / "mini.ttl"), format=ox.RdfFormat.TURTLE):
        store.add(ox.Quad(q.subject, q.predicate, q.object))
    graph = _mutate(quads_to_graph(store.quads_for_pattern(None, None, None)), seed=seed, changes=60)
    expected, compiled = _compare(graph, load_shapes(fixture))
    assert sum(expected.values()) >= 20, planted
    _assert_same(expected, compiled)


def test_cli_engine_sparql_gives_the_same_report(tmp_path: Path) -> None:
    bad = tmp_path / "initiative.ttl"
    bad.write_text(
        "@prefix iop: <https://w3id.org/iopgraph/ontology#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix sec: <https://w3id.org/iopgraph/id/report/d06-02/section/> .\n"
        '<https://w3id.org/iopgraph/id/initiative/x> a iop:DataSpace ; rdfs:label "X"@en ;\n'
        '    iop:isUseCase false ; iop:startYear "twenty" ; iop:section sec:1-1 .\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    reports = {}
    for engine in ("pyshacl", "sparql"):
        result = runner.invoke(app, ["validate", "--engine", engine, "--format", "json", str(bad)])
        assert result.exit_code == 1, result.output
        reports[engine] = json.loads(result.output)
    assert reports["sparql"]["violations"] == reports["pyshacl"]["violations"] > 0
    assert sorted(map(str, reports["sparql"]["results"])) == sorted(map(str, reports["pyshacl"]["results"]))
    assert all(r["source_files"][0].endswith("initiative.ttl") for r in reports["sparql"]["results"])


def test_a_shape_the_compiler_does_not_know_is_validated_by_pyshacl() -> None:
    """``sh:lessThan`` is not compiled: that shape goes to pySHACL, the other shape is compiled."""
    shapes = rdflib.Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:Span a sh:NodeShape ; sh:targetClass ex:Span ;
            sh:property [ sh:path ex:start ; sh:lessThan ex:end ; sh:message "start before end" ] ,
                        [ sh:path ex:label ; sh:minCount 1 ; sh:message "a label" ] .
        ex:Named a sh:NodeShape ; sh:targetClass ex:Span ;
            sh:property [ sh:path ex:label ; sh:maxCount 1 ; sh:message "one label" ] .
        """,
        format="turtle",
    )
    data = rdflib.Graph().parse(
        data="""
        @prefix ex: <http://example.org/> .
        ex:a a ex:Span ; ex:start 5 ; ex:end 3 .
        ex:b a ex:Span ; ex:start 1 ; ex:end 3 ; ex:label "b", "bee" .
        """,
        format="turtle",
    )
    expected, compiled = _compare(data, shapes)
    assert {key[4] for key in compiled} == {
        "LessThanConstraintComponent",  # from pySHACL
        "MinCountConstraintComponent",  # from pySHACL, the same shape
        "MaxCountConstraintComponent",  # compiled
    }
    _assert_same(expected, compiled)
