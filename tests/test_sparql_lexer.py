"""The SPARQL tokenizer that decides the query form, SERVICE targets and updates before the engine runs."""

from __future__ import annotations

import pytest

from iopgraph.query.binding import bind_values
from iopgraph.query.lexer import analyse, append_page, find_where_brace


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("SELECT * {}", "SELECT"),
        ("select * {}", "SELECT"),
        ("PREFIX ex: <http://ex/> BASE <http://b/> CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("# ASK\nDESCRIBE <http://x>", "DESCRIBE"),
        ("PREFIX : <http://ex/>\nASK { :a :b :c }", "ASK"),
        ("nonsense", None),
    ],
)
def test_form(text: str, form: str | None) -> None:
    assert analyse(text).form == form


@pytest.mark.parametrize(
    ("text", "update"),
    [
        ("INSERT DATA { <a:a> <a:b> <a:c> }", "INSERT"),
        ("PREFIX ex: <http://ex/> DELETE WHERE { ?s ?p ?o }", "DELETE"),
        ("LOAD <http://x/data.ttl>", "LOAD"),
        ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
        ("SELECT * {} ; DROP ALL", "DROP"),
        ('SELECT ("; DROP ALL" AS ?x) {}', None),
        ("SELECT ?insert ?delete WHERE { ?insert <http://x/load> ?delete }", None),
    ],
)
def test_update(text: str, update: str | None) -> None:
    assert analyse(text).update == update


def test_services_are_found_and_expanded() -> None:
    info = analyse(
        "PREFIX w: <https://wikidata.example/> SELECT * { SERVICE w:sparql { ?s ?p ?o } "
        'SERVICE SILENT <http://a.example/q> {} SERVICE ?e {} ?s <http://x/SERVICE> "SERVICE <http://no/>" }'
    )
    assert info.services == ["https://wikidata.example/sparql", "http://a.example/q", None]


def test_dataset_and_variables() -> None:
    info = analyse("SELECT ?a WHERE { ?a ?_p_iri ?b . FILTER(?a != $c) }")
    assert not info.has_dataset and info.variables == ["a", "_p_iri", "b", "c"]
    assert analyse("SELECT * FROM NAMED <http://g> { GRAPH ?g {} }").has_dataset


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "{"),
        ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o . }", "{ ?s ?p ?o . }"),
        ("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "{ ?s ?p ?o }"),
        ("ASK { <a:b> ?p ?o }", "{ <a:b> ?p ?o }"),
    ],
)
def test_where_brace(text: str, expected: str) -> None:
    brace = find_where_brace(text)
    assert brace is not None and text[brace:].startswith(expected)


def test_bind_values_keeps_values_as_terms() -> None:
    bound = bind_values("SELECT ?s WHERE { ?s ?p ?_v }", {"_v": '"\\"> } ; DROP ALL #"'})
    assert bound == 'SELECT ?s WHERE { VALUES (?_v) { ("\\"> } ; DROP ALL #") }  ?s ?p ?_v }'
    assert analyse(bound).update is None and analyse(bound).form == "SELECT"
    described = bind_values("DESCRIBE ?_x", {"_x": "<http://x/1>"})
    assert described.endswith("WHERE { VALUES (?_x) { (<http://x/1>) } }\n")
    with pytest.raises((ValueError, SyntaxError)):  # a "term" that is really more than one is refused
        bind_values("SELECT * { ?s ?p ?_v }", {"_v": '"a" . <x:y> <x:z> "b"'})


def test_append_page() -> None:
    assert append_page("SELECT * { ?s ?p ?o }", 10, 20) == "SELECT * { ?s ?p ?o }\nLIMIT 10 OFFSET 20\n"
    assert append_page("SELECT * { ?s ?p ?o } LIMIT 5", 10, 0) is None
    assert append_page("SELECT * { ?s ?p ?o } VALUES ?s { <a:b> }", 10, 0) is None
    assert append_page("CONSTRUCT WHERE { ?s ?p ?o }", 10, 0) is None
