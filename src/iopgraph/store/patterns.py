"""The views' two lookups by bound terms, as a store answers them: the triples of given subjects, the
links to given objects.

Every page asks these (a resource's triples, a collection's members, the labels and types of what
they link to); they are :meth:`Backend.triples_of` and :meth:`Backend.triples_to`. Two ways to answer:

* :func:`read_triples_of`, :func:`read_triples_to`: index lookups (``quads_for_pattern``) on a
  pyoxigraph store, for the embedded store. No SPARQL text to write, parse and plan per call, and
  ~2x faster than the same CONSTRUCT on the shipped graph (``docs/view-speed.md``);
* :func:`construct_triples_of`, :func:`construct_triples_to`: the same as ``CONSTRUCT`` queries in
  batches of :data:`BATCH` terms, for a remote store.

Both give each triple once (the union of the graphs, as a query's default graph), subject by subject
(object by object) in the order given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence

import pyoxigraph as ox

#: A subject of the graph (a lookup's bound term).
Subject = ox.NamedNode | ox.BlankNode
#: Terms per ``VALUES`` block of a remote lookup.
BATCH = 400

Construct = Callable[[str], Awaitable[list[ox.Triple]]]


def read_triples_of(
    store: ox.Store, subjects: Iterable[Subject], predicates: Sequence[str] | None = None
) -> list[ox.Triple]:
    """Every triple of ``subjects`` (with one of ``predicates``, when given), by index lookups."""
    found: list[ox.Triple] = []
    if predicates is None:
        for subject in subjects:
            found += [q.triple for q in store.quads_for_pattern(subject, None, None)]
    else:
        wanted = [ox.NamedNode(p) for p in dict.fromkeys(predicates)]
        for subject in subjects:
            for predicate in wanted:
                found += [q.triple for q in store.quads_for_pattern(subject, predicate, None)]
    return list(dict.fromkeys(found))  # a triple held by several graphs is one triple of the union


def read_triples_to(
    store: ox.Store, objects: Iterable[Subject], predicates: Sequence[str]
) -> list[ox.Triple]:
    """The triples ``?s p o`` for each of ``objects``, ``p`` among ``predicates``, by index lookups."""
    wanted = [ox.NamedNode(p) for p in dict.fromkeys(predicates)]
    found: list[ox.Triple] = []
    for obj in objects:
        for predicate in wanted:
            found += [q.triple for q in store.quads_for_pattern(None, predicate, obj)]
    return list(dict.fromkeys(found))


def _values(terms: Sequence[ox.NamedNode]) -> str:
    return " ".join(str(t) for t in terms)  # pyoxigraph writes each as a checked <iri>


def _among(predicates: Sequence[str]) -> str:
    # FILTER(?p IN ...) over the subject's triples is an index lookup per subject; a second VALUES block
    # makes Oxigraph join two inline tables against a scan of every triple (5-6x slower).
    return "FILTER(?p IN (" + ", ".join(f"<{p}>" for p in dict.fromkeys(predicates)) + "))"


def _batches(terms: Iterable[Subject]) -> Iterable[list[ox.NamedNode]]:
    # a blank node's label means nothing to a remote store: it cannot be looked up by it
    iris = [t for t in dict.fromkeys(terms) if isinstance(t, ox.NamedNode)]
    for start in range(0, len(iris), BATCH):
        yield iris[start : start + BATCH]


async def construct_triples_of(
    construct: Construct, subjects: Iterable[Subject], predicates: Sequence[str] | None = None
) -> list[ox.Triple]:
    """:func:`read_triples_of` as CONSTRUCT queries, one per batch of subjects."""
    among = "" if predicates is None else _among(predicates)
    found: list[ox.Triple] = []
    for batch in _batches(subjects):
        found += await construct(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {_values(batch)} }} ?s ?p ?o {among} }}"
        )
    return list(dict.fromkeys(found))


async def construct_triples_to(
    construct: Construct, objects: Iterable[Subject], predicates: Sequence[str]
) -> list[ox.Triple]:
    """:func:`read_triples_to` as CONSTRUCT queries, one per batch of objects."""
    found: list[ox.Triple] = []
    for batch in _batches(objects):
        found += await construct(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?o {{ {_values(batch)} }} ?s ?p ?o {_among(predicates)} }}"
        )
    return list(dict.fromkeys(found))
