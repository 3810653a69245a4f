"""Every SHACL node shape with a target has a passing and a failing fixture (data-driven over shapes/).

The passing fixture is tests/fixtures/shapes/valid.ttl (one conforming instance of
each class, validated with the ontology and the report's sections). Each failing
fixture tests/fixtures/shapes/invalid/<ShapeName>.ttl adds one resource that
breaks that shape; the test checks the shape itself reports it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDF, SH

from iopgraph.core.sources import source_for_path
from iopgraph.validation import load_graph, load_shapes, validate_graph
from support.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "shapes"
BASE = ["ontology/iop.ttl", "ontology/schemes.ttl", "data/report.ttl"]
IOPSH = rdflib.Namespace("https://w3id.org/iopgraph/shapes#")
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


@functools.cache
def _shapes() -> rdflib.Graph:
    # One shapes graph for the whole module: results point at its blank-node property shapes.
    return load_shapes(ROOT)


def targeted_shapes() -> list[str]:
    shapes = _shapes()
    names = {
        str(s).removeprefix(str(IOPSH))
        for s in shapes.subjects(RDF.type, SH.NodeShape)
        if any(shapes.value(s, t) is not None for t in TARGETS)
    }
    return sorted(names)


def _validate(*extra: Path, focus: list[rdflib.term.Node] | None = None):
    files = [source_for_path(ROOT / p, ROOT) for p in BASE] + [source_for_path(p, ROOT) for p in extra]
    loaded = load_graph(files)
    return validate_graph(loaded.graph, _shapes(), None, loaded.subject_files, focus), loaded


def _node_shape_of(shapes: rdflib.Graph, shape: rdflib.term.Node) -> rdflib.term.Node:
    """The node shape a result's source shape belongs to (itself, or the owner of a property shape)."""
    owner = shapes.value(None, SH.property, shape) or shapes.value(None, SH.sparql, shape)
    return owner if owner is not None else shape


def test_valid_fixture_conforms_without_any_result() -> None:
    report, _ = _validate(FIXTURES / "valid.ttl")
    assert report.results == [], "\n".join(f"{r.focus_node}: {r.message}" for r in report.results)


def test_every_targeted_shape_has_an_invalid_fixture() -> None:
    fixtures = {p.stem for p in (FIXTURES / "invalid").glob("*.ttl")}
    missing = set(targeted_shapes()) - fixtures
    assert not missing, f"shapes without a failing fixture: {sorted(missing)}"
    stale = fixtures - set(targeted_shapes())
    assert not stale, f"fixtures for shapes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("shape_name", targeted_shapes())
def test_shape_rejects_its_failing_fixture(shape_name: str) -> None:
    fixture = FIXTURES / "invalid" / f"{shape_name}.ttl"
    fixture_nodes = set(rdflib.Graph().parse(fixture).subjects())
    report, _ = _validate(FIXTURES / "valid.ttl", fixture, focus=sorted(fixture_nodes))
    shapes = _shapes()
    fixture_subjects = {str(s) for s in fixture_nodes}
    hits = []
    for res in report.report_graph.subjects(RDF.type, SH.ValidationResult):
        source = report.report_graph.value(res, SH.sourceShape)
        focus = str(report.report_graph.value(res, SH.focusNode))
        if _node_shape_of(shapes, source) == IOPSH[shape_name] and focus in fixture_subjects:
            hits.append(res)
    assert hits, f"{shape_name} did not report the resource in {fixture.name}"
    # Every result carries the shape's own message, so a steward reads a sentence, not a constraint name.
    for res in hits:
        assert report.report_graph.value(res, SH.resultMessage) is not None


@pytest.mark.parametrize("shape_name", targeted_shapes())
def test_every_property_shape_has_a_message_and_severity(shape_name: str) -> None:
    shapes = _shapes()
    node = IOPSH[shape_name]
    constraints = list(shapes.objects(node, SH.property)) + list(shapes.objects(node, SH.sparql))
    assert constraints, f"{shape_name} has no constraints"
    for c in constraints:
        assert shapes.value(c, SH.message) is not None, f"{shape_name}: a constraint without sh:message"
        assert shapes.value(c, SH.severity) in (SH.Violation, SH.Warning, SH.Info), (
            f"{shape_name}: a constraint without an explicit sh:severity"
        )


def test_two_observations_with_the_same_dimension_values_are_refused(tmp_path: Path) -> None:
    """Data Cube IC-12: the valid fixture's statistic, copied under another IRI, duplicates its key."""
    valid = rdflib.Graph().parse(FIXTURES / "valid.ttl")
    original = rdflib.URIRef("https://w3id.org/iopgraph/id/statistic/test-share")
    copy = rdflib.URIRef("https://w3id.org/iopgraph/id/statistic/test-share-again")
    extra = rdflib.Graph()
    for p, o in valid.predicate_objects(original):
        extra.add((copy, p, o))
    fixture = tmp_path / "duplicate.ttl"
    extra.serialize(fixture, format="turtle")
    report, _ = _validate(FIXTURES / "valid.ttl", fixture, focus=[copy])
    messages = [str(r.message) for r in report.results if str(r.focus_node) == str(copy)]
    assert any("IC-12" in m for m in messages), messages
