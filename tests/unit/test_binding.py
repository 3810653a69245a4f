"""Unit tests of iopgraph.query.binding: a parameter value is always exactly one RDF term, bound in a
leading VALUES block, and can never change the shape of the query."""

from __future__ import annotations

import doctest

import pyoxigraph as ox
import pytest

from iopgraph.query import binding
from iopgraph.query.binding import bind_values, parse_term, values_block
from iopgraph.query.errors import QuerySyntaxError
from iopgraph.query.lexer import analyse

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("<http://example.org/a>", ox.NamedNode("http://example.org/a")),
        ('"plain"', ox.Literal("plain")),
        ('"chat"@FR', ox.Literal("chat", language="fr")),  # language tags are normalised to lower case
        (f'"7"^^<{XSD}integer>', ox.Literal("7", datatype=ox.NamedNode(f"{XSD}integer"))),
        ("_:b1", ox.BlankNode("b1")),
    ],
)
def test_parse_term_reads_one_n_triples_term(text: str, term: object) -> None:
    assert parse_term(text) == term


@pytest.mark.parametrize(
    "text",
    [
        "",
        "?x",  # a variable is no term
        "ex:a",  # prefixed names are not N-Triples
        '"unterminated',
        '"a" "b"',
        "<http://x/> } DROP ALL {",
    ],
)
def test_parse_term_refuses_what_is_not_a_term(text: str) -> None:
    with pytest.raises(SyntaxError):
        parse_term(text)


def test_parse_term_refuses_a_value_that_smuggles_in_a_second_triple() -> None:
    with pytest.raises(ValueError, match="not a single RDF term"):
        parse_term("<urn:o> .\n<urn:s> <urn:p> <urn:o2>")


def test_values_block_sorts_the_variables_and_writes_canonical_terms() -> None:
    block = values_block({"b": "<http://x/b>", "a": f'"x"^^<{XSD}string>', "c": '"chat"@FR'})
    assert block == 'VALUES (?a ?b ?c) { ("x" <http://x/b> "chat"@fr) }'


def test_bind_values_without_substitutions_returns_the_query_unchanged() -> None:
    query = "SELECT * WHERE { ?s ?p ?o }"
    assert bind_values(query, {}) is query


def test_bind_values_opens_the_where_clause_of_a_construct_not_its_template() -> None:
    bound = bind_values("CONSTRUCT { ?_s ?p ?o } WHERE { ?_s ?p ?o }", {"_s": "<http://x/1>"})
    assert bound == "CONSTRUCT { ?_s ?p ?o } WHERE { VALUES (?_s) { (<http://x/1>) }  ?_s ?p ?o }"


def test_a_bound_string_with_query_syntax_stays_one_literal() -> None:
    hostile = '"} ; DROP ALL ; SELECT * { "'
    bound = bind_values("SELECT ?s WHERE { ?s ?p ?_v }", {"_v": '"\\"} ; DROP ALL ; SELECT * { \\""'})
    info = analyse(bound)
    # { VALUES { ( ... ) } }: no brace of the value counts
    assert info.update is None and info.form == "SELECT" and info.max_depth == 3
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal(hostile)))
    rows = list(store.query(bound))  # type: ignore[arg-type]
    assert [str(row["s"]) for row in rows] == ["<http://x/s>"]


def test_a_query_with_no_where_clause_cannot_be_bound() -> None:
    with pytest.raises(QuerySyntaxError, match="no WHERE clause"):
        bind_values("INSERT DATA { <a:a> <a:b> <a:c> }", {"_v": "<http://x/1>"})


def test_the_docstring_example_holds() -> None:
    assert doctest.testmod(binding).failed == 0
