"""The shape-aware neighbourhood gives the same verdict as full validation (issue 5).

Each case is a change to the fixture graph; the results it introduces are
computed three ways and must agree:

* ``full``: our checker on the whole graph before and after;
* ``neighbourhood``: our checker on the shape-aware subgraphs of the affected focus nodes;
* ``pyshacl``: pySHACL called directly on the whole graphs (independent of our code).

The cases exercise class constraints (the linked node's type, via a subclass),
sequence and inverse paths, ``skos:broader*`` chains (in a SPARQL constraint and
in a ``sh:zeroOrMorePath``), cardinality, qualified, disjoint and closed shapes,
targetSubjectsOf targets, schema changes, and graphs with earlier violations.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib.namespace import RDF, SH

from iopgraph.core.rdfio import quads_to_graph
from iopgraph.core.sources import graph_sources
from iopgraph.stewardship.changes import Change
from iopgraph.stewardship.checks import Checker, data_graph, result_key
from iopgraph.stewardship.neighbourhood import ShapeModel
from iopgraph.store.local import load_sources
from support.steward import EX, FIXTURE, ID, PREFIXES

DATA_GRAPH = ox.NamedNode("https://w3id.org/iopgraph/graph/data/base")
NEW = ox.NamedNode("http://example.org/graph/new")


def turtle(text: str, graph: ox.NamedNode = NEW) -> list[ox.Quad]:
    return [
        ox.Quad(q.subject, q.predicate, q.object, graph)
        for q in ox.parse((PREFIXES + text).encode(), ox.RdfFormat.TURTLE)
    ]


def held(store: ox.Store, s: str, p: str, o: str | None = None) -> list[ox.Quad]:
    obj = None if o is None else (ox.NamedNode(o) if o.startswith("http") else ox.Literal(o, language="en"))
    return list(store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), obj))


RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
TYPE = str(RDF.type)
BROADER = "http://www.w3.org/2004/02/skos/core#broader"
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"

# name -> (function of the store giving quads to remove, Turtle to add, expected: accepted?)
CASES = {
    "valid new project": (
        lambda s: [],
        """id:p2 a ex:Project ; rdfs:label "P2"@en ; dcterms:description "d"@en ;
        ex:city id:ghent ; ex:lead id:org1 ; ex:addresses id:c2 .""",
        True,
    ),
    "class: city is an organisation": (
        lambda s: [],
        """id:p2 a ex:Project ; rdfs:label "P2"@en ;
        ex:city id:org1 .""",
        False,
    ),
    "class via subclass: a city is a place": (
        lambda s: [],
        """id:p2 a ex:Project ; rdfs:label "P2"@en ;
        ex:city id:ghent .""",
        True,
    ),
    "sequence path: lead based in a non-city": (
        lambda s: [],
        """id:org2 a ex:Organisation ; rdfs:label "O"@en ;
        ex:basedIn id:flanders . id:p2 a ex:Project ; rdfs:label "P2"@en ; ex:city id:ghent ; ex:lead id:org2 .""",
        False,
    ),
    "sequence path: second hop changes": (
        lambda s: held(s, ID + "org1", EX + "basedIn"),
        "id:org1 ex:basedIn id:flanders .",
        False,
    ),
    "linked node loses its type": (lambda s: held(s, ID + "ghent", TYPE), "", False),
    "linked node changes to a subclass-compatible type": (
        lambda s: held(s, ID + "ghent", TYPE),
        "id:ghent a ex:City, ex:Place .",
        True,
    ),
    "broader* chain broken in the middle": (lambda s: held(s, ID + "c2", BROADER), "", False),
    "broader* chain re-routed": (
        lambda s: held(s, ID + "c2", BROADER),
        "id:c2 skos:broader id:c1 . id:c1 a ex:Challenge ; skos:broader id:fam .",
        True,
    ),
    "zeroOrMorePath class: ancestor not a challenge": (lambda s: [], "id:c3 skos:broader id:ghent .", False),
    "inverse path maxCount from the other side": (
        lambda s: [],
        "id:part2 ex:partOf id:p1 . id:part3 ex:partOf id:p1 . id:part4 ex:partOf id:p1 .",
        False,
    ),
    "inverse path within maxCount": (lambda s: [], "id:part2 ex:partOf id:p1 .", True),
    "cardinality: second label": (lambda s: [], 'id:p1 rdfs:label "Second"@nl .', False),
    "qualified: English label replaced": (
        lambda s: held(s, ID + "p1", RDFS_LABEL),
        'id:p1 rdfs:label "Slimme dataruimte"@nl .',
        False,
    ),
    "disjoint: altLabel equal to label": (lambda s: [], 'id:p1 ex:altLabel "Smart data space"@en .', False),
    "closed shape: unexpected property": (lambda s: [], 'id:tag1 ex:colour "red" .', False),
    "targetSubjectsOf: part of a place": (lambda s: [], "id:part9 ex:partOf id:ghent .", False),
    "warning only: no description": (
        lambda s: [],
        """id:p2 a ex:Project ; rdfs:label "P2"@en ;
        ex:city id:ghent .""",
        True,
    ),
    "schema change: City no longer a Place": (lambda s: held(s, EX + "City", SUBCLASS), "", False),
    "delete a whole resource": (
        lambda s: (
            [q for q in s.quads_for_pattern(ox.NamedNode(ID + "p1"), None, None)]
            + list(s.quads_for_pattern(None, None, ox.NamedNode(ID + "p1")))
        ),
        "",
        True,
    ),
    "remove a blank node": (
        lambda s: list(
            s.quads_for_pattern(None, ox.NamedNode(RDFS_LABEL), ox.Literal("a blank node", language="en"))
        ),
        "",
        True,
    ),
    "organisation based in two places": (lambda s: [], "id:org1 ex:basedIn id:flanders .", False),
}


@pytest.fixture(scope="module")
def checker() -> Checker:
    root = FIXTURE
    ontology = [f for f in graph_sources(root) if f.relative.startswith("ontology/")]
    from iopgraph.validation import load_graph, load_shapes

    return Checker(load_shapes(root), load_graph(ontology).graph)


def fixture_store(extra: str = "") -> ox.Store:
    store = ox.Store()
    load_sources(store, graph_sources(FIXTURE))
    if extra:
        store.extend(turtle(extra, DATA_GRAPH))
    return store


def pyshacl_results(graph: rdflib.Graph, shapes: rdflib.Graph) -> set[tuple[str, str, str]]:
    """(focus, constraint component, severity) of each result, straight from pySHACL."""
    _, report, _ = pyshacl.validate(graph, shacl_graph=shapes, advanced=True, allow_warnings=True)
    assert isinstance(report, rdflib.Graph)
    return {
        (
            str(report.value(r, SH.focusNode)),
            str(report.value(r, SH.sourceConstraintComponent)),
            str(report.value(r, SH.resultSeverity)),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }


def direct_new_results(store: ox.Store, change: Change, shapes: rdflib.Graph) -> set[tuple[str, str, str]]:
    before = data_graph(store)
    after = data_graph(store)
    change.apply_to(after, store)
    return pyshacl_results(after, shapes) - pyshacl_results(before, shapes)


PRE_EXISTING = 'id:broken a ex:Project ; rdfs:label "Broken"@en ; ex:city id:org1 .'


@pytest.mark.parametrize(
    "extra", ["", PRE_EXISTING], ids=["conforming graph", "graph with an earlier violation"]
)
@pytest.mark.parametrize("name", list(CASES))
def test_neighbourhood_verdict_equals_full_validation(checker: Checker, name: str, extra: str) -> None:
    remove_of, add, accepted = CASES[name]
    store = fixture_store(extra)
    change = Change(remove_of(store), turtle(add)).normalised(store)
    assert not change.is_empty

    full = checker.check_change(store, change, "full")
    fast = checker.check_change(store, change, "neighbourhood")

    assert fast.mode == "neighbourhood"  # the fixture shapes are all modelled: no silent fallback
    assert {result_key(r) for r in fast.report.results} == {result_key(r) for r in full.report.results}
    assert fast.accepted == full.accepted == accepted
    direct = direct_new_results(store, change, checker.shapes)
    ours = {(f"{r.focus_node}", f"{SH}{r.constraint}", f"{SH}{r.severity}") for r in fast.report.results}
    assert ours == direct


def test_unrelated_change_has_no_focus_nodes(checker: Checker) -> None:
    store = fixture_store()
    change = Change([], turtle('<http://example.org/other> <http://example.org/p> "x" .')).normalised(store)
    check = checker.check_change(store, change, "neighbourhood")
    assert check.focus_nodes == 0 and check.accepted


def test_neighbourhood_is_small(checker: Checker) -> None:
    """A new project's neighbourhood holds what its shapes read, not the whole graph."""
    store = fixture_store(" ".join(f'id:x{i} a ex:Organisation ; rdfs:label "X{i}"@en .' for i in range(200)))
    change = Change([], turtle(CASES["valid new project"][1])).normalised(store)
    plan = checker.model.plan(store, change)
    assert plan is not None
    assert [str(f) for f in plan.focus_nodes] == [ID + "p2"]
    assert len(plan.after) < 40 < len(quads_to_graph(store.quads_for_pattern(None, None, None)))


def test_unmodelled_shapes_fall_back_to_full_validation(checker: Checker) -> None:
    shapes = rdflib.Graph()
    shapes.parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/ns#> .
        ex:S a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; sh:select "SELECT ?this WHERE { ?this ?p ?o }" ] .""",
        format="turtle",
    )
    model = ShapeModel(shapes)
    assert model.unsupported is not None
    assert model.plan(fixture_store(), Change([], turtle("id:a ex:b id:c ."))) is None


def test_shipped_shapes_are_modelled(root: Path) -> None:
    from iopgraph.validation import load_shapes

    assert ShapeModel(load_shapes(root)).unsupported is None
