"""The views' lookups by bound terms (iopgraph.store.patterns): index lookups and CONSTRUCT agree.

The embedded store answers them with ``quads_for_pattern``, a remote store with CONSTRUCT queries;
both must give the triples of the union of the graphs, each once, in the order of the terms asked.
"""

from __future__ import annotations

import asyncio

import pyoxigraph as ox
import pytest

import iopgraph.store.patterns as patterns
from iopgraph.store.patterns import (
    Construct,
    construct_triples_of,
    construct_triples_to,
    read_triples_of,
    read_triples_to,
)

EX = "http://example.org/"
A, B, C = (ox.NamedNode(EX + n) for n in "abc")
LABEL, LINK, TYPE = (ox.NamedNode(EX + n) for n in ("label", "link", "type"))
G1, G2 = ox.NamedNode(EX + "g1"), ox.NamedNode(EX + "g2")


@pytest.fixture
def store() -> ox.Store:
    s = ox.Store()
    bnode = ox.BlankNode("b1")
    for quad in (
        ox.Quad(A, LABEL, ox.Literal("a"), G1),
        ox.Quad(A, LABEL, ox.Literal("a"), G2),  # the same triple in two graphs
        ox.Quad(A, LINK, B, G1),
        ox.Quad(A, TYPE, C, ox.DefaultGraph()),
        ox.Quad(B, LABEL, ox.Literal("b"), G2),
        ox.Quad(B, LINK, C, G2),
        ox.Quad(C, LINK, A, G1),
        ox.Quad(bnode, LABEL, ox.Literal("blank"), G1),
    ):
        s.add(quad)
    return s


def _construct(store: ox.Store) -> Construct:
    async def construct(query: str) -> list[ox.Triple]:
        result = store.query(query, use_default_graph_as_union=True)
        assert isinstance(result, ox.QueryTriples)
        return list(result)

    return construct


def test_each_triple_of_the_union_comes_once(store: ox.Store) -> None:
    found = read_triples_of(store, [A])
    assert sorted(map(str, found)) == sorted(
        map(str, [ox.Triple(A, LABEL, ox.Literal("a")), ox.Triple(A, LINK, B), ox.Triple(A, TYPE, C)])
    )


def test_subjects_come_in_the_order_asked(store: ox.Store) -> None:
    assert [t.subject for t in read_triples_of(store, [B, A], [LABEL.value])] == [B, A]
    assert [t.subject for t in read_triples_of(store, [A, B], [LABEL.value])] == [A, B]


def test_predicates_narrow_the_triples(store: ox.Store) -> None:
    found = read_triples_of(store, [A, B], [LINK.value])
    assert found == [ox.Triple(A, LINK, B), ox.Triple(B, LINK, C)]


def test_links_to_objects(store: ox.Store) -> None:
    assert read_triples_to(store, [C, B], [LINK.value]) == [ox.Triple(B, LINK, C), ox.Triple(A, LINK, B)]
    assert read_triples_to(store, [C], [LABEL.value]) == []


def test_a_blank_node_is_looked_up_by_its_label_in_the_embedded_store(store: ox.Store) -> None:
    assert read_triples_of(store, [ox.BlankNode("b1")]) == [
        ox.Triple(ox.BlankNode("b1"), LABEL, ox.Literal("blank"))
    ]


@pytest.mark.parametrize("predicates", [None, [LABEL.value], [LINK.value, TYPE.value]])
def test_the_construct_queries_give_the_same_triples(store: ox.Store, predicates: list[str] | None) -> None:
    construct = _construct(store)
    by_index = read_triples_of(store, [A, B, C], predicates)
    by_query = asyncio.run(construct_triples_of(construct, [A, B, C], predicates))
    assert set(by_query) == set(by_index)
    assert len(by_query) == len(by_index)  # each once there too
    links = asyncio.run(construct_triples_to(construct, [A, B, C], [LINK.value]))
    assert set(links) == set(read_triples_to(store, [A, B, C], [LINK.value]))


def test_the_construct_queries_batch_many_terms(store: ox.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    construct = _construct(store)

    async def counting(query: str) -> list[ox.Triple]:
        asked.append(query)
        return await construct(query)

    monkeypatch.setattr(patterns, "BATCH", 2)
    found = asyncio.run(construct_triples_of(counting, [A, B, C], [LABEL.value]))
    assert len(asked) == 2  # 3 subjects in batches of 2
    assert set(found) == {ox.Triple(A, LABEL, ox.Literal("a")), ox.Triple(B, LABEL, ox.Literal("b"))}
