"""The lookups index (iopgraph.store.triple_index) answers exactly what the store's lookups answer."""

from __future__ import annotations

import random

import pyoxigraph as ox

from iopgraph.store.patterns import read_triples_of, read_triples_to
from iopgraph.store.triple_index import TripleIndex

EX = "http://example.org/"


def _store(seed: int) -> ox.Store:
    """A random graph over a few terms: triples in several graphs, blank nodes, literals, loops."""
    rnd = random.Random(seed)
    nodes: list[ox.NamedNode | ox.BlankNode] = [ox.NamedNode(f"{EX}n{i}") for i in range(12)]
    nodes += [ox.BlankNode(f"b{i}") for i in range(3)]
    predicates = [ox.NamedNode(f"{EX}p{i}") for i in range(5)]
    graphs = [ox.NamedNode(f"{EX}g{i}") for i in range(3)] + [ox.DefaultGraph()]
    store = ox.Store()
    for _ in range(300):
        obj = rnd.choice(nodes) if rnd.random() < 0.6 else ox.Literal(f"v{rnd.randrange(20)}")
        store.add(ox.Quad(rnd.choice(nodes), rnd.choice(predicates), obj, rnd.choice(graphs)))
    return store


def test_the_index_gives_the_stores_triples_in_the_stores_order() -> None:
    for seed in range(40):
        store = _store(seed)
        index = TripleIndex.of(store)
        rnd = random.Random(seed)
        terms = list(dict.fromkeys(q.subject for q in store)) + [ox.NamedNode(EX + "absent")]
        predicates = [f"{EX}p{i}" for i in range(6)]  # p5 is in no triple
        for _ in range(30):
            asked = rnd.sample(terms, rnd.randrange(1, 6))
            asked += asked[:1]  # a term asked twice
            wanted = rnd.sample(predicates, rnd.randrange(1, 4))
            assert index.triples_of(asked) == read_triples_of(store, asked)
            assert index.triples_of(asked, wanted) == read_triples_of(store, asked, wanted)
            assert index.triples_to(asked, wanted) == read_triples_to(store, asked, wanted)


def test_each_triple_of_the_union_comes_once() -> None:
    store = ox.Store()
    a, p = ox.NamedNode(EX + "a"), ox.NamedNode(EX + "p")
    for graph in (ox.NamedNode(EX + "g1"), ox.NamedNode(EX + "g2"), ox.DefaultGraph()):
        store.add(ox.Quad(a, p, ox.Literal("x"), graph))
    index = TripleIndex.of(store)
    assert index.triples_of([a]) == [ox.Triple(a, p, ox.Literal("x"))]
    assert index.triples_of([a], [p.value, p.value]) == [ox.Triple(a, p, ox.Literal("x"))]
