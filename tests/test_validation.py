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
    assert {(r.focus_node, r.message) for r in focused.results} == {
        (r.focus_node, r.message) for r in full.results
    }
    assert full.conforms == (case == "valid")


def test_focused_shapes_only_target_the_chosen_nodes() -> None:
    data = graph("ex:a a ex:Organisation ; ex:label 'A'@en . ex:p a ex:Place .")
    shapes = focused_shapes(data, graph(SHAPES), [rdflib.URIRef("http://ex/a")])
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert set(shapes.subject_objects(sh.targetNode)) == {
        (rdflib.URIRef("http://ex/Org"), rdflib.URIRef("http://ex/a"))
    }
    assert not list(shapes.triples((None, sh.targetClass, None)))
    # The place is not a focus node: its missing label is not reported.
    assert validate_graph(data, graph(SHAPES), focus_nodes=[rdflib.URIRef("http://ex/a")]).conforms


def test_depth_screen_counts_nesting_and_ignores_strings() -> None:
    from iopgraph.core.rdfio import json_depth, xml_depth

    assert json_depth(b'{"a": "[[[{{{\\"[[", "b": [1, [2, {"c": 3}]]}') == 4
    assert json_depth(b"[" * 5000 + b"]" * 5000) == 5000
    xml = (
        b'<?xml version="1.0"?><!-- <a><b><c> --><rdf:RDF xmlns:rdf="r"><d rdf:about="x"><p/>'
        b"<q><![CDATA[<x><y>]]></q></d></rdf:RDF>"
    )
    assert xml_depth(xml) == 3


def test_depth_screen_refuses_deep_documents_before_parsing() -> None:
    import pytest

    from iopgraph.core.errors import RdfSyntaxError
    from iopgraph.core.media_types import syntax_by_name
    from iopgraph.core.rdfio import parse_bytes, screen

    json_ld = syntax_by_name("json-ld")
    assert json_ld is not None
    deep = (
        b'{"@id": "http://example.org/s", "http://example.org/p": '
        + b'{"@list": [' * 100
        + b"1"
        + b"]}" * 100
        + b"}"
    )
    with pytest.raises(RdfSyntaxError, match="IOPGRAPH_MAX_RDF_DEPTH"):
        screen(deep, json_ld, max_depth=64)
    assert len(parse_bytes(deep, json_ld, max_depth=1000)) > 100
