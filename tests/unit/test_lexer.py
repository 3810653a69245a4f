"""Unit tests of iopgraph.query.lexer beyond tests/test_sparql_lexer.py: tokens, the prologue, nesting
depth, chains, SERVICE targets, the WHERE brace and paging, none fooled by keywords in strings,
comments or IRIs."""

from __future__ import annotations

import doctest

import pytest

from iopgraph.query import lexer
from iopgraph.query.lexer import analyse, append_page, find_where_brace, tokenize


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


def test_tokenize_drops_whitespace_and_comments_and_keeps_offsets() -> None:
    text = "SELECT ?x # SERVICE <http://no/>\n{ ?x ex:p 'a' }"
    tokens = tokenize(text)
    assert [(t.kind, t.text) for t in tokens] == [
        ("word", "SELECT"),
        ("var", "?x"),
        ("other", "{"),
        ("var", "?x"),
        ("pname", "ex:p"),
        ("string", "'a'"),
        ("other", "}"),
    ]
    assert all(text[t.start : t.start + len(t.text)] == t.text for t in tokens)
    assert tokens[0].upper == "SELECT" and tokenize("select")[0].upper == "SELECT"


@pytest.mark.parametrize(
    "literal",
    [
        '"SERVICE <http://x/> } DROP ALL"',
        "'it\\'s { not } code'",
        '"""three\nlines with " and "" inside"""',
        "'''a ''quoted'' { block }'''",
    ],
)
def test_a_string_is_one_token_whatever_it_contains(literal: str) -> None:
    assert kinds(f"SELECT * {{ ?s ?p {literal} }}")[5] == ("string", literal)


def test_iris_variables_and_prefixed_names() -> None:
    assert kinds("<http://ex/a#b> $v ?w ex: :local ex:a.b") == [
        ("iri", "<http://ex/a#b>"),
        ("var", "$v"),
        ("var", "?w"),
        ("pname", "ex:"),
        ("pname", ":local"),
        ("pname", "ex:a.b"),
    ]
    # a pname does not swallow the statement's final dot
    assert kinds("ex:a.")[-1] == ("other", ".")


def test_prologue_prefixes_and_base_in_any_order() -> None:
    info = analyse("BASE <http://b/> PREFIX a: <http://a/> PREFIX : <http://empty/> ASK {}")
    assert info.base == "http://b/"
    assert info.prefixes == {"a": "http://a/", "": "http://empty/"}
    assert info.form == "ASK"


def test_a_prologue_keyword_inside_the_query_is_not_a_prefix() -> None:
    info = analyse('SELECT * { ?s ?p "PREFIX x: <http://x/>" }')
    assert info.prefixes == {} and info.base is None


def test_max_depth_counts_every_kind_of_bracket() -> None:
    assert analyse("ASK {}").max_depth == 1
    assert analyse("SELECT * { { ?s ?p [ ?q ( 1 2 ) ] } }").max_depth == 4
    assert analyse("SELECT * { ?s ?p '{{{{' }").max_depth == 1  # brackets in a string do not count


def test_chains_count_union_optional_minus_and_operators() -> None:
    info = analyse(
        "SELECT * { {?a ?b ?c} UNION {?d ?e ?f} UNION {?g ?h ?i} OPTIONAL {?a <p:q>/<p:r>+ ?x} "
        "MINUS {?a ?b 'UNION'} }"
    )
    # operators: the * of SELECT *, and the path's / and +; UNION in a string is no keyword
    assert info.chains == {"UNION": 2, "OPTIONAL": 1, "MINUS": 1, "operators": 3}
    assert info.longest_chain == ("operators", 3)
    assert analyse("ASK { {} UNION {} UNION {} }").longest_chain == ("UNION", 2)
    assert analyse("ASK {}").longest_chain == ("", 0)


def test_service_targets_unknown_prefixes_and_variables() -> None:
    info = analyse(
        "PREFIX k: <http://known/> SELECT * { SERVICE k:q {} SERVICE u:q {} SERVICE SILENT ?e {} "
        "SERVICE <http://plain/> {} }"
    )
    assert info.services == ["http://known/q", "u:q", None, "http://plain/"]
    assert analyse("SELECT * { SERVICE").services == [None]  # a truncated query: no target, still seen


def test_service_in_an_iri_comment_or_variable_is_not_a_call() -> None:
    info = analyse("SELECT ?service { <http://x/SERVICE> ?service 'SERVICE' } # SERVICE <http://y/>")
    assert info.services == []


def test_from_in_a_string_is_not_a_dataset() -> None:
    assert not analyse("SELECT * { ?s ?p 'FROM <http://g>' }").has_dataset
    assert analyse("SELECT * FROM <http://g> { ?s ?p ?o }").has_dataset


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <a:a> <a:b> <a:c> }",  # an update has no WHERE of a query
        "not a query",
        "SELECT * ",  # no brace at all
    ],
)
def test_no_where_brace(text: str) -> None:
    assert find_where_brace(text) is None


def test_where_brace_after_a_construct_template_with_nested_braces() -> None:
    text = "CONSTRUCT { ?s ?p ?o . GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }"
    brace = find_where_brace(text)
    assert brace is not None and text[brace:] == "{ GRAPH ?g { ?s ?p ?o } }"


def test_where_brace_is_not_a_brace_inside_the_projection_or_a_string() -> None:
    assert find_where_brace("PREFIX x: <http://x/{}> ASK {}") is None  # not an IRI: the prologue is broken
    text = "PREFIX x: <http://x/> SELECT ?s ('{' AS ?b) (CONCAT('}', ?s) AS ?c) WHERE { ?s ?p ?o }"
    brace = find_where_brace(text)
    assert brace is not None and text[brace:] == "{ ?s ?p ?o }"


@pytest.mark.parametrize(
    "text",
    [
        "ASK { ?s ?p ?o }",
        "SELECT * { ?s ?p ?o } OFFSET 3",
        "SELECT * { { SELECT * { ?s ?p ?o } LIMIT 2 } }",  # a paged sub-select: left alone
        "INSERT DATA { <a:a> <a:b> <a:c> }",
    ],
)
def test_append_page_leaves_queries_that_cannot_or_do_page(text: str) -> None:
    assert append_page(text, 10, 0) is None


def test_append_page_ignores_limit_in_strings_and_values_inside_the_where() -> None:
    text = "SELECT * { VALUES ?x { 'LIMIT' } ?s ?p ?x }"
    assert append_page(text, 5, 15) == text + "\nLIMIT 5 OFFSET 15\n"


def test_append_page_writes_integers_only() -> None:
    assert append_page("SELECT * {}", True, 0) == "SELECT * {}\nLIMIT 1 OFFSET 0\n"


def test_the_docstring_example_holds() -> None:
    assert doctest.testmod(lexer).failed == 0
