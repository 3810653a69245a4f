"""Focused validation (a few focus nodes against the whole graph) gives the verdict of full validation.

Regression test for pySHACL 0.40, whose `focus_nodes` and `use_shapes` options skip
the value nodes of nested shapes (sh:node, sh:or, qualified value shapes).
"""

from __future__ import annotations

import pytest
import rdflib

from iopgraph.validation import focused_shapes, validate_graph

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://ex/> .
ex:Org a sh:NodeShape ; sh:targetClass ex:Organisation ;
    sh:property [ sh:path ex:sector ; sh:node ex:InSectorScheme ; sh:message "sector scheme" ] ,
                [ sh:path ex:partner ; sh:or ( [ sh:class ex:Organisation ] [ sh:class ex:Person ] ) ; sh:message "partner" ] ,
                [ sh:path ex:label ; sh:qualifiedValueShape [ sh:languageIn ( "en" ) ] ; sh:qualifiedMinCount 1 ; sh:message "english" ] .
ex:InSectorScheme a sh:NodeShape ; sh:property [ sh:path ex:inScheme ; sh:hasValue ex:sectors ] .
ex:PlaceShape a sh:NodeShape ; sh:targetClass ex:Place ; sh:property [ sh:path ex:label ; sh:minCount 1 ; sh:message "label" ] .
"""

CASES = {
    "node": "ex:a a ex:Organisation ; ex:label 'A'@en ; ex:sector ex:energy . ex:energy ex:inScheme ex:domains .",
    "or": "ex:a a ex:Organisation ; ex:label 'A'@en ; ex:partner ex:b . ex:b a ex:Place ; ex:label 'B'@en .",
    "qualified": "ex:a a ex:Organisation ; ex:label 'A'@nl .",
    "subclass": "ex:a a ex:Company ; ex:label 'A'@nl . ex:Company <http://www.w3.org/2000/01/rdf-schema#subClassOf> ex:Organisation .",
    "valid": "ex:a a ex:Organisation ; ex:label 'A'@en ; ex:sector ex:gov . ex:gov ex:inScheme ex:sectors .",
}


def graph(text: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data="@prefix ex: <http://ex/> .\n" + text, format="turtle")


@pytest.mark.parametrize("case", sorted(CASES))
def test_focused_verdict_equals_full_verdict(case: str) -> None:
    data, shapes = graph(CASES[case]), graph(SHAPES)
    full = validate_graph(data, shapes)
    focused = validate_graph(data, shapes, focus_nodes=[rdflib.URIRef("http://ex/a")])
    assert focused.conforms == full.conforms
    assert {(r.focus_node, r.message) for r in focused.results} == {(r.focus_node, r.message) for r in full.results}
    assert full.conforms == (case == "valid")


def test_focused_shapes_only_target_the_chosen_nodes() -> None:
    data = graph("ex:a a ex:Organisation ; ex:label 'A'@en . ex:p a ex:Place .")
    shapes = focused_shapes(data, graph(SHAPES), [rdflib.URIRef("http://ex/a")])
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert set(shapes.subject_objects(sh.targetNode)) == {(rdflib.URIRef("http://ex/Org"), rdflib.URIRef("http://ex/a"))}
    assert not list(shapes.triples((None, sh.targetClass, None)))
    # The place is not a focus node: its missing label is not reported.
    assert validate_graph(data, graph(SHAPES), focus_nodes=[rdflib.URIRef("http://ex/a")]).conforms
