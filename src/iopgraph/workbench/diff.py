"""What a change adds and removes: N-Triples lines and the same statements in words, with labels.

lines = diff_lines(added, removed, labels)   # [DiffLine("+", "<s> <p> <o> .", "Helsinki …", "city", "Helsinki")]
labels = await labels_for(backend, triples)  # the store's labels of every IRI in them
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from iopgraph.store.backend import Backend
from iopgraph.views.describe import labels_from, summaries
from iopgraph.views.labels import label_for


@dataclass(frozen=True)
class DiffLine:
    sign: str  # "+" added, "-" removed
    ntriple: str
    subject: str
    predicate: str
    value: str


def _word(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, labels: dict[str, str]) -> str:
    if isinstance(term, ox.NamedNode):
        return label_for(term.value, labels)
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def diff_lines(
    added: Iterable[ox.Triple], removed: Iterable[ox.Triple], labels: dict[str, str]
) -> list[DiffLine]:
    """Removed lines first, then added, each sorted by subject, predicate, value."""
    out: list[DiffLine] = []
    for sign, triples in (("-", removed), ("+", added)):
        for t in sorted(set(triples), key=str):
            out.append(
                DiffLine(
                    sign,
                    f"{t.subject} {t.predicate} {t.object} .",
                    _word(t.subject, labels),
                    _word(t.predicate, labels),
                    _word(t.object, labels),
                )
            )
    return out


def triples_of(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


async def labels_for(backend: Backend, triples: Iterable[ox.Triple]) -> dict[str, str]:
    """Labels of the IRIs in ``triples``: from the store, else from the triples themselves (a new resource's name)."""
    triples = list(triples)
    terms: list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = []
    for t in triples:
        terms += [t.subject, t.predicate, t.object]
    return {**labels_from(triples), **labels_from(await summaries(backend, terms))}
