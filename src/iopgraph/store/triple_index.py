"""The views' two lookups answered from Python dictionaries, for a small graph held in memory.

A page's lookups (:mod:`iopgraph.store.patterns`) on the in-memory read copy cost mostly the making
of Python objects: pyoxigraph builds a new ``Triple`` (and its terms) for every quad of every
lookup, ~5 µs a triple, ~8 ms for a collection page of the shipped graph. This index makes them
once per store version: every subject's triples, every (subject, predicate)'s and every
(predicate, object)'s, each list exactly what ``quads_for_pattern`` gives for that pattern (once per
triple of the union of the graphs), so a lookup returns the same triples in the same order as
:func:`~iopgraph.store.patterns.read_triples_of` / :func:`~iopgraph.store.patterns.read_triples_to`.

It is made for graphs of at most :data:`MAX_QUADS` quads (the index of
50,000 takes ~20 MB; the shipped graph's, ~11,000 quads, 5 MB and 0.13 s), in a thread, by the first
lookup after a write; a write drops it.

    index = TripleIndex.of(read_copy)
    index.triples_of([iri]); index.triples_to([iri], [predicate])
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox

#: Largest graph (quads) that gets an index.
MAX_QUADS = 50_000

Subject = ox.NamedNode | ox.BlankNode
_Object = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


class TripleIndex:
    def __init__(
        self,
        by_subject: dict[Subject, list[ox.Triple]],
        by_subject_predicate: dict[tuple[Subject, str], list[ox.Triple]],
        by_predicate_object: dict[tuple[str, _Object], list[ox.Triple]],
    ) -> None:
        self._s = by_subject
        self._sp = by_subject_predicate
        self._po = by_predicate_object

    @classmethod
    def of(cls, store: ox.Store) -> TripleIndex:
        """The index of ``store``: one lookup per subject and one per predicate.

        The store's lookups walk sorted indexes (subject-predicate-object, predicate-object-subject), so
        a (subject, predicate) list is the subject's list filtered by the predicate, and a (predicate,
        object) list is the predicate's list filtered by the object, in the same order
        (tests/unit/test_triple_index.py compares every kind of lookup with the store's own)."""
        subjects: dict[Subject, None] = {}
        predicates: dict[ox.NamedNode, None] = {}
        for quad in store:
            subjects[quad.subject] = None
            predicates[quad.predicate] = None

        def distinct(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
            return list(dict.fromkeys(q.triple for q in quads))

        by_subject = {s: distinct(store.quads_for_pattern(s, None, None)) for s in subjects}
        by_sp: dict[tuple[Subject, str], list[ox.Triple]] = {}
        for subject, triples in by_subject.items():
            for t in triples:
                by_sp.setdefault((subject, t.predicate.value), []).append(t)
        by_po: dict[tuple[str, _Object], list[ox.Triple]] = {}
        for predicate in predicates:
            name = predicate.value
            for t in distinct(store.quads_for_pattern(None, predicate, None)):
                if not isinstance(obj := t.object, ox.Literal):
                    by_po.setdefault((name, obj), []).append(t)
        return cls(by_subject, by_sp, by_po)

    def triples_of(
        self, subjects: Iterable[Subject], predicates: Sequence[str] | None = None
    ) -> list[ox.Triple]:
        """As :func:`~iopgraph.store.patterns.read_triples_of`."""
        found: list[ox.Triple] = []
        if predicates is None:
            for subject in dict.fromkeys(subjects):
                found += self._s.get(subject, ())
        else:
            wanted = list(dict.fromkeys(predicates))
            for subject in dict.fromkeys(subjects):
                for predicate in wanted:
                    found += self._sp.get((subject, predicate), ())
        return found  # distinct subjects (and predicates): distinct triples

    def triples_to(self, objects: Iterable[Subject], predicates: Sequence[str]) -> list[ox.Triple]:
        """As :func:`~iopgraph.store.patterns.read_triples_to`."""
        wanted = list(dict.fromkeys(predicates))
        found: list[ox.Triple] = []
        for obj in dict.fromkeys(objects):
            for predicate in wanted:
                found += self._po.get((predicate, obj), ())
        return found
