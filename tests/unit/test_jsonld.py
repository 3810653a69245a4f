"""Unit tests of iopgraph.views.jsonld: the context's terms, the shapes of values, framing triples
into trees, and the promise that expanding a document with its context gives back exactly the
triples it was built from (checked with PyLD, an independent JSON-LD processor)."""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
import pytest
from pyld import jsonld  # type: ignore[import-untyped]

from iopgraph.core.namespaces import RDF_TYPE_IRI as RDF_TYPE
from iopgraph.views.jsonld import (
    CONTEXT_PATH,
    Context,
    Framed,
    context_text,
    document,
    frame,
    load_context,
    parse_context,
)
from support.paths import FIXTURE_DATA, ROOT

EX = "http://example.org/ns#"
ID = "http://example.org/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

CONTEXT: dict[str, Any] = {
    "@context": {
        "@version": 1.1,
        "ex": EX,
        "id": ID,
        "xsd": XSD,
        "Thing": "ex:Thing",
        "Part": "ex:Part",
        "label": {"@id": RDFS_LABEL, "@language": "en"},
        "name": {"@id": "ex:name"},
        "tags": {"@id": "ex:tag", "@container": "@set"},
        "partOf": {"@id": "ex:partOf", "@type": "@id"},
        "hasPart": {"@reverse": "ex:partOf", "@type": "@id", "@container": "@set"},
        "count": {"@id": "ex:count", "@type": "xsd:integer"},
        "flag": {"@id": "ex:flag", "@type": "xsd:boolean"},
    }
}


@pytest.fixture(scope="module")
def ctx() -> Context:
    return parse_context(CONTEXT)


def n(local: str) -> ox.NamedNode:
    return ox.NamedNode(ID + local)


def p(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


def t(
    s: ox.NamedNode | ox.BlankNode, pred: ox.NamedNode, o: ox.NamedNode | ox.BlankNode | ox.Literal
) -> ox.Triple:
    return ox.Triple(s, pred, o)


def lit(value: str, datatype: str | None = None, language: str | None = None) -> ox.Literal:
    if language:
        return ox.Literal(value, language=language)
    return ox.Literal(value, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(value)


def expanded(doc: dict[str, Any], context: dict[str, Any]) -> set[ox.Triple]:
    """The triples PyLD reads from ``doc`` with ``context`` in place of its context URL."""
    nquads = jsonld.to_rdf({**doc, "@context": context["@context"]}, {"format": "application/n-quads"})
    return {
        ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(nquads.encode(), ox.RdfFormat.N_QUADS)
    }


# --- the context ----------------------------------------------------------------------------------


def test_parse_context_reads_prefixes_classes_and_terms(ctx: Context) -> None:
    assert ctx.prefixes == {"ex": EX, "id": ID, "xsd": XSD}
    assert ctx.classes == {EX + "Thing": "Thing", EX + "Part": "Part"}
    label = ctx.forward[RDFS_LABEL]
    assert (label.name, label.language, label.type, label.is_set) == ("label", "en", None, False)
    assert ctx.forward[EX + "tag"].is_set and ctx.forward[EX + "partOf"].type == "@id"
    assert ctx.forward[EX + "count"].type == XSD + "integer"  # datatypes are expanded
    reverse = ctx.reverse[EX + "partOf"]
    assert (reverse.name, reverse.reverse, reverse.is_set) == ("hasPart", True, True)
    assert "hasPart" not in {term.name for term in ctx.forward.values()}


def test_expand_and_compact_iris(ctx: Context) -> None:
    assert ctx.expand("ex:a") == EX + "a"
    assert ctx.expand("unknown:a") == "unknown:a"
    assert ctx.expand("http://example.org/x") == "http://example.org/x"  # a scheme is no prefix
    assert ctx.compact_iri(EX + "a") == "ex:a"
    assert ctx.compact_iri("http://other.example/a") == "http://other.example/a"
    assert ctx.compact_iri(ID + "a#b") == ID + "a#b"  # a fragment in the local part stays a full IRI
    assert ctx.compact_type(EX + "Thing") == "Thing" and ctx.compact_type(EX + "Other") == "ex:Other"


def test_compact_iri_prefers_the_longest_namespace() -> None:
    narrow = parse_context({"@context": {"a": "http://x.example/", "b": "http://x.example/deep/"}})
    assert narrow.compact_iri("http://x.example/deep/thing") == "b:thing"
    assert narrow.compact_iri("http://x.example/thing") == "a:thing"


def test_the_shipped_context_is_the_published_file_and_every_term_is_an_absolute_iri() -> None:
    assert context_text() == (ROOT / "src" / "iopgraph" / "context" / "v1.jsonld").read_text("utf-8")
    assert CONTEXT_PATH == "/context/v1.jsonld"
    shipped = load_context()
    terms = [*shipped.forward.values(), *shipped.reverse.values()]
    assert terms and all(term.iri.startswith(("http://", "https://")) for term in terms)
    assert shipped.reverse["http://www.w3.org/2004/02/skos/core#broader"].name == "narrower"


# --- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("predicate", "value", "shape"),
    [
        (RDFS_LABEL, lit("Bridge", language="en"), "Bridge"),  # the term's language: a bare string
        (RDFS_LABEL, lit("Brug", language="nl"), {"@value": "Brug", "@language": "nl"}),
        (RDFS_LABEL, lit("no language"), {"@value": "no language"}),  # not the term's language
        (EX + "name", lit("plain"), "plain"),
        (EX + "name", lit("4", XSD + "integer"), 4),  # a canonical integer is a JSON number
        (EX + "name", lit("007", XSD + "integer"), {"@value": "007", "@type": "xsd:integer"}),
        (EX + "name", lit("true", XSD + "boolean"), True),
        (EX + "name", lit("1", XSD + "boolean"), {"@value": "1", "@type": "xsd:boolean"}),
        (EX + "name", lit("2024-01-31", XSD + "date"), {"@value": "2024-01-31", "@type": "xsd:date"}),
        (EX + "count", lit("12", XSD + "integer"), 12),
        (EX + "count", lit("012", XSD + "integer"), "012"),  # the term types it: a bare string stays exact
        (EX + "flag", lit("false", XSD + "boolean"), False),
        (EX + "unmapped", lit("x", language="en"), {"@value": "x", "@language": "en"}),
    ],
)
def test_value_shapes(ctx: Context, predicate: str, value: ox.Literal, shape: Any) -> None:
    framed = frame([t(n("a"), ox.NamedNode(predicate), value)], roots=[n("a")], ctx=ctx)
    node = framed.nodes[0]
    key = next(k for k in node if k != "@id")
    assert node[key] == shape
    assert expanded(document("unused", framed), CONTEXT) == {t(n("a"), ox.NamedNode(predicate), value)}


# --- framing --------------------------------------------------------------------------------------

TRIPLES = [
    t(n("bridge"), ox.NamedNode(RDF_TYPE), p("Thing")),
    t(n("bridge"), ox.NamedNode(RDF_TYPE), p("Part")),
    t(n("bridge"), ox.NamedNode(RDFS_LABEL), lit("Bridge", language="en")),
    t(n("bridge"), p("tag"), lit("steel")),
    t(n("bridge"), p("name"), lit("one")),
    t(n("bridge"), p("name"), lit("two")),
    t(n("deck"), p("partOf"), n("bridge")),
    t(n("deck"), ox.NamedNode(RDFS_LABEL), lit("Deck", language="en")),
    t(n("bridge"), p("near"), n("river")),
    t(n("river"), ox.NamedNode(RDFS_LABEL), lit("River", language="en")),
    t(n("river"), p("near"), n("bridge")),  # a cycle back to the root
    t(n("elsewhere"), p("name"), lit("not reached")),
]


def test_frame_nests_a_tree_per_root(ctx: Context) -> None:
    framed = frame(TRIPLES, roots=[n("bridge")], ctx=ctx, reverse_predicates=frozenset({EX + "partOf"}))
    root = framed.nodes[0]
    assert root["@id"] == ID + "bridge"
    assert root["@type"] == ["Part", "Thing"]  # always a sorted list
    assert root["tags"] == ["steel"]  # a @set term is an array even with one value
    assert sorted(root["name"]) == ["one", "two"]  # more than one value: an array
    assert root["label"] == "Bridge"
    # an object with triples of its own is embedded; a link back to the root is a reference
    assert root["ex:near"] == {"@id": ID + "river", "label": "River", "ex:near": {"@id": ID + "bridge"}}
    # an incoming link under the reverse term, without repeating the link to the root
    assert root["hasPart"] == [{"@id": ID + "deck", "label": "Deck"}]
    assert framed.included == [{"@id": ID + "elsewhere", "name": "not reached"}]


def test_frame_loses_no_triple(ctx: Context) -> None:
    framed = frame(TRIPLES, roots=[n("bridge")], ctx=ctx, reverse_predicates=frozenset({EX + "partOf"}))
    assert expanded(document("unused", framed), CONTEXT) == set(TRIPLES)


def test_frame_stops_at_max_depth(ctx: Context) -> None:
    chain = [t(n(f"n{i}"), p("next"), n(f"n{i + 1}")) for i in range(5)]
    chain += [t(n(f"n{i}"), p("name"), lit(f"node {i}")) for i in range(6)]
    framed = frame(chain, roots=[n("n0")], ctx=ctx, max_depth=2)
    assert framed.nodes[0]["ex:next"]["ex:next"]["ex:next"] == {"@id": ID + "n3"}
    assert expanded(document("unused", framed), CONTEXT) == set(chain)  # the rest is @included


def test_other_roots_are_referenced_not_embedded(ctx: Context) -> None:
    triples = [t(n("a"), p("near"), n("b")), t(n("b"), p("name"), lit("b"))]
    framed = frame(triples, roots=[n("a"), n("b")], ctx=ctx)
    assert framed.nodes[0]["ex:near"] == {"@id": ID + "b"}
    assert framed.nodes[1] == {"@id": ID + "b", "name": "b"}


def test_incoming_links_without_a_reverse_term_go_under_at_reverse(ctx: Context) -> None:
    triples = [t(n("x"), p("mentions"), n("root")), t(n("root"), p("name"), lit("r"))]
    framed = frame(triples, roots=[n("root")], ctx=ctx, reverse_predicates=frozenset({EX + "mentions"}))
    assert framed.nodes[0]["@reverse"] == {"ex:mentions": [{"@id": ID + "x"}]}
    assert expanded(document("unused", framed), CONTEXT) == set(triples)


def test_blank_nodes_get_blank_node_ids(ctx: Context) -> None:
    blank = ox.BlankNode("b0")
    framed = frame([t(blank, p("name"), lit("anonymous"))], roots=[blank], ctx=ctx)
    assert framed.nodes[0] == {"@id": "_:b0", "name": "anonymous"}


def test_duplicate_triples_are_framed_once(ctx: Context) -> None:
    triple = t(n("a"), p("tag"), lit("x"))
    assert frame([triple, triple], roots=[n("a")], ctx=ctx).nodes[0]["tags"] == ["x"]


# --- documents ------------------------------------------------------------------------------------


def test_document_of_one_root_many_roots_and_a_top_object() -> None:
    one = Framed([{"@id": "a"}], [])
    assert document("http://ctx", one) == {"@context": "http://ctx", "@id": "a"}
    many = Framed([{"@id": "a"}, {"@id": "b"}], [{"@id": "c"}])
    assert document("http://ctx", many) == {
        "@context": "http://ctx",
        "@graph": [{"@id": "a"}, {"@id": "b"}],
        "@included": [{"@id": "c"}],
    }
    top = document("http://ctx", many, top={"@type": "Collection", "member": many.nodes})
    assert top["@type"] == "Collection" and "@graph" not in top and top["@included"] == [{"@id": "c"}]


def test_the_fixture_graph_round_trips_through_the_shipped_context() -> None:
    """Every triple of the linked-data fixture, framed with the real context, expands back exactly."""
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=str(FIXTURE_DATA))]
    ctx = load_context()
    subjects: list[ox.NamedNode | ox.BlankNode] = sorted(
        {tr.subject for tr in triples if isinstance(tr.subject, ox.NamedNode)}, key=str
    )
    framed = frame(triples, roots=subjects[:5], ctx=ctx, reverse_predicates=frozenset(ctx.reverse))
    assert expanded(document("unused", framed), json.loads(context_text())) == set(triples)
