"""A large collection is ordered once per store version (iopgraph.views.member_orders).

Ordering more than MAX_LIMIT members reads facts of every member; page 2 of the same version must not
read them again, a write (a new version) must, and the pages must be the same as without the cache.
"""

from __future__ import annotations

import asyncio

import pyoxigraph as ox
import pytest

import iopgraph.views.collections as collections
from iopgraph.store.backend import LocalBackend
from iopgraph.views.collections import COLLECTIONS, MAX_LIMIT, collection_page
from iopgraph.views.member_orders import MemberOrders, orders_of

IOP = "https://w3id.org/iopgraph/ontology#"
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
GRAPH = ox.NamedNode("https://w3id.org/iopgraph/graph/data/generated")
COUNT = MAX_LIMIT + 50


def _mitigation(i: int) -> list[ox.Quad]:
    iri = ox.NamedNode(f"https://w3id.org/iopgraph/id/mitigation/generated-{i:03d}")
    return [
        ox.Quad(iri, TYPE, ox.NamedNode(IOP + "Mitigation"), GRAPH),
        ox.Quad(iri, LABEL, ox.Literal(f"Mitigation {COUNT - i:03d}", language="en"), GRAPH),
    ]


@pytest.fixture
def backend() -> LocalBackend:
    store = ox.Store()
    store.extend([q for i in range(COUNT) for q in _mitigation(i)])
    return LocalBackend(store)


@pytest.fixture
def sorts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the members' sort facts are read (and for how many members)."""
    calls: list[int] = []
    real = collections._sort_facts

    async def counting(backend: object, members: list[ox.NamedNode]) -> object:
        calls.append(len(members))
        return await real(backend, members)  # type: ignore[arg-type]

    monkeypatch.setattr(collections, "_sort_facts", counting)
    return calls


def _pages(backend: LocalBackend, *numbers: int) -> list[list[str]]:
    spec = COLLECTIONS["mitigations"]

    async def run() -> list[list[str]]:
        return [
            [m.value for m in (await collection_page(backend, spec, [], n, 100)).members] for n in numbers
        ]

    return asyncio.run(run())


def test_the_pages_of_one_version_sort_once(backend: LocalBackend, sorts: list[int]) -> None:
    pages = _pages(backend, 1, 2, 3)
    assert sorts == [COUNT]  # page 1 sorted every member; pages 2 and 3 used that order
    shown = [iri for page in pages for iri in page]
    assert len(shown) == COUNT == len(set(shown))
    # the collection's order (by label): generated-249 is "Mitigation 001"
    assert shown[0].endswith("generated-249") and shown[-1].endswith("generated-000")


def test_a_write_makes_a_new_order(backend: LocalBackend, sorts: list[int]) -> None:
    before = _pages(backend, 1)[0]
    asyncio.run(backend.replace_quads([], _mitigation(COUNT)))  # one more: "Mitigation 000", first
    after = _pages(backend, 1)[0]
    assert sorts == [COUNT, COUNT + 1]
    assert after[0].endswith(f"generated-{COUNT:03d}") and after[1:] == before[:-1]


def test_the_cached_order_gives_the_pages_a_fresh_backend_gives(backend: LocalBackend) -> None:
    cached = _pages(backend, 1, 2, 3)
    fresh = LocalBackend(backend.store)
    assert _pages(fresh, 3, 2, 1)[::-1] == cached


def test_small_collections_are_not_kept(backend: LocalBackend) -> None:
    spec = COLLECTIONS["challenges"]
    asyncio.run(collection_page(backend, spec, [], 1, 50))
    assert len(orders_of(backend)) == 0


def test_the_orders_are_bounded_in_entries_and_members() -> None:
    orders = MemberOrders(max_entries=2, max_members=5)
    a, b, c = ([ox.NamedNode(f"http://example.org/{k}{i}") for i in range(2)] for k in "abc")
    orders.put("a", a)
    orders.put("b", b)
    orders.put("c", c)  # a third entry: the least recently used goes
    assert orders.get("a") is None and orders.get("b") == b and orders.get("c") == c
    orders.put("d", [ox.NamedNode(f"http://example.org/d{i}") for i in range(4)])  # 4 + 2 > 5 members
    assert orders.get("b") is None and orders.get("c") is None and len(orders) == 1
    too_big = [ox.NamedNode(f"http://example.org/e{i}") for i in range(6)]
    assert orders.put("e", too_big) == too_big and orders.get("e") is None
