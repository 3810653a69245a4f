"""Search by label: ``/search?q=trust`` lists the resources whose label contains the words.

The words are one literal, written by pyoxigraph (``str(ox.Literal(...))`` escapes
it, so no text can close it and become query syntax); matching is
case-insensitive on every label predicate; shorter labels (closer matches) first.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from iopgraph.backend import Backend
from iopgraph.errors import InvalidParameter
from iopgraph.views.describe import LABEL_PREDICATES, RDF_TYPE
from iopgraph.views.labels import label_for
from iopgraph.views.links import local_href

MAX_QUERY = 200
LIMIT = 100
_QUERY = (
    "SELECT ?s (MIN(?l) AS ?label) (SAMPLE(?t) AS ?type) WHERE { VALUES ?needle { NEEDLE } "
    "VALUES ?p { " + " ".join(f"<{p}>" for p in LABEL_PREDICATES) + " } "
    "?s ?p ?l . FILTER(isIRI(?s) && CONTAINS(LCASE(STR(?l)), LCASE(STR(?needle)))) "
    f"OPTIONAL {{ ?s <{RDF_TYPE}> ?t }} }} GROUP BY ?s ORDER BY STRLEN(MIN(?l)) MIN(?l) LIMIT {LIMIT + 1}"
)


@dataclass(frozen=True)
class Hit:
    label: str
    href: str
    kind: str | None


async def search(backend: Backend, words: str) -> tuple[list[Hit], bool]:
    """Resources whose label contains ``words``, and whether there were more than :data:`LIMIT`."""
    words = " ".join(words.split())
    if len(words) > MAX_QUERY:
        raise InvalidParameter(f"q: at most {MAX_QUERY} characters")
    if not words:
        return [], False
    rows = await backend.select(_QUERY.replace("NEEDLE", str(ox.Literal(words))))
    types = [r["type"].value for r in rows if "type" in r]
    labels: dict[str, str] = {}
    if types:
        found = await backend.select(
            "SELECT ?t ?l WHERE { VALUES ?t { " + " ".join(f"<{t}>" for t in set(types)) + " } "
            "VALUES ?p { " + " ".join(f"<{p}>" for p in LABEL_PREDICATES) + " } ?t ?p ?l }")
        labels = {r["t"].value: r["l"].value for r in found}
    hits = [Hit(r["label"].value, local_href(r["s"].value),
                label_for(r["type"].value, labels) if "type" in r else None) for r in rows[:LIMIT]]
    return hits, len(rows) > LIMIT
