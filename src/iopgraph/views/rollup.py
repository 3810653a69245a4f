"""Roll-ups and breadcrumbs of a resource page (issue 14, items 2 and 4).

* :func:`rollup`: on a challenge page, the mitigations, use cases, recommendations
  and statistics of every narrower challenge (any depth), grouped by that
  sub-challenge, so that "Lack of trust" shows the practices that sit on its
  sub-challenges;
* :func:`breadcrumbs`: where the resource sits: its list page, then its chain of
  ``skos:broader`` (family › cluster › sub-challenge), ``dcterms:isPartOf``
  (report › section › box) or ``iop:partOfProgramme`` (use case › initiative).

    groups = await rollup(backend, iri)
    trail = await breadcrumbs(backend, iri)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from iopgraph.core.namespaces import ONTOLOGY, PREFIXES
from iopgraph.store.backend import Backend
from iopgraph.views.links import local_href

IOP, SKOS, DCT, RDFS = ONTOLOGY, PREFIXES["skos"], PREFIXES["dcterms"], PREFIXES["rdfs"]
_LABELS = (SKOS + "prefLabel", RDFS + "label", DCT + "title")
_LABEL = f"OPTIONAL {{ ?x <{SKOS}prefLabel>|<{RDFS}label>|<{DCT}title> ?xl }}"
Term = ox.NamedNode | ox.BlankNode | ox.Literal

#: (heading, pattern linking ?sub to ?x) of each roll-up list.
ROLLED_UP = (
    ("Mitigations and good practices", f"?x <{IOP}addresses> ?sub ."),
    ("Use cases where it was observed", f"?sub <{IOP}observedIn> ?x ."),
    ("EIF4SCC recommendations", f"?m <{IOP}addresses> ?sub ; <{IOP}backedBy> ?x ."),
    ("Statistics", f"?x <{IOP}describes> ?sub ."),
)

#: List pages a resource of each class belongs to (the first crumb).
LIST_PAGES = (
    (IOP + "ChallengeFamily", "Challenges", "/challenges"),
    (IOP + "ChallengeCluster", "Challenges", "/challenges"),
    (IOP + "SubChallenge", "Challenges", "/challenges"),
    (IOP + "ChallengeFactor", "Challenges", "/challenges"),
    (IOP + "Mitigation", "Mitigations", "/mitigations"),
    (IOP + "GoodPractice", "Mitigations", "/mitigations"),
    (IOP + "Recommendation", "Recommendations", "/recommendations"),
    (IOP + "Statistic", "Statistics", "/statistics"),
    (IOP + "Initiative", "Initiatives", "/initiatives"),
    (IOP + "DataSpace", "Initiatives", "/initiatives"),
    (IOP + "LocalDigitalTwin", "Initiatives", "/initiatives"),
    (PREFIXES["org"] + "Organization", "Organisations", "/organisations"),
)
_UP = (SKOS + "broader", DCT + "isPartOf", IOP + "partOfProgramme")


@dataclass(frozen=True)
class Crumb:
    text: str
    href: str

    def sort_key(self) -> tuple[str, str]:
        """By text, then link: the same order in every process and whatever order the rows came in."""
        return (self.text.lower(), self.href)


@dataclass
class RollupGroup:
    """The lists of one narrower challenge."""

    challenge: Crumb
    lists: list[tuple[str, list[Crumb]]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(items) for _, items in self.lists)


def _text(row: dict[str, Term], var: str, iri: str) -> str:
    return row[var].value if var in row else iri.rstrip("/").rsplit("/", 1)[-1]


async def rollup(backend: Backend, iri: str) -> list[RollupGroup]:
    """The groups of ``iri``'s narrower challenges that have anything to show, in label order."""
    me = ox.NamedNode(iri)
    groups: dict[str, RollupGroup] = {}
    rows = await backend.select(
        f"SELECT DISTINCT ?h ?sub ?sl ?x ?xl WHERE {{ VALUES ?me {{ {me} }} ?sub <{SKOS}broader>+ ?me . "
        + _branches(pattern for _, pattern in ROLLED_UP)
        + f" OPTIONAL {{ ?sub <{SKOS}prefLabel> ?sl }} {_LABEL} FILTER(isIRI(?x)) }}"
    )
    for index, (heading, _) in enumerate(ROLLED_UP):
        for row in _of_branch(rows, index):
            sub = row["sub"].value
            group = groups.setdefault(sub, RollupGroup(Crumb(_text(row, "sl", sub), local_href(sub))))
            if not group.lists or group.lists[-1][0] != heading:
                group.lists.append((heading, []))
            crumb = Crumb(_text(row, "xl", row["x"].value), local_href(row["x"].value))
            if crumb not in group.lists[-1][1]:
                group.lists[-1][1].append(crumb)
    for group in groups.values():
        order = [h for h, _ in ROLLED_UP]
        group.lists.sort(key=lambda item: order.index(item[0]))
        for _, items in group.lists:
            items.sort(key=Crumb.sort_key)
    return sorted(groups.values(), key=lambda g: g.challenge.sort_key())


def _branches(patterns: Iterable[str]) -> str:
    """``{ p0 BIND(0 AS ?h) } UNION { p1 BIND(1 AS ?h) } ...``: several lists in one query."""
    return " UNION ".join(f"{{ {pattern} BIND({i} AS ?h) }}" for i, pattern in enumerate(patterns))


def _of_branch(rows: list[dict[str, Term]], index: int) -> list[dict[str, Term]]:
    return [r for r in rows if int(r["h"].value) == index]


async def breadcrumbs(
    backend: Backend, iri: str, limit: int = 8, types: Iterable[str] | None = None
) -> list[Crumb]:
    """The trail above ``iri`` (its list page first, then its ancestors, top first); the resource itself is not in it.

    Each step goes up the first link by (predicate, IRI); ``types`` are ``iri``'s classes when the caller
    knows them. One query for the chain: every link up from every node above, walked here."""
    me = ox.NamedNode(iri)
    if types is None:
        types = [r["t"].value for r in await backend.select(f"SELECT ?t WHERE {{ {me} a ?t }}")]
    kinds = set(types)
    among = ", ".join(f"<{p}>" for p in _UP)
    rows = await backend.select(
        f"SELECT ?node ?p ?up ?lp ?xl WHERE {{ {me} ({'|'.join(f'<{p}>' for p in _UP)})* ?node . "
        f"?node ?p ?up FILTER(?p IN ({among}) && isIRI(?up)) "
        f"OPTIONAL {{ ?up ?lp ?xl FILTER(?lp IN ({', '.join(f'<{p}>' for p in _LABELS)})) }} }}"
    )
    steps: dict[
        str, tuple[str, str, int, dict[str, Term]]
    ] = {}  # node → the first (p, up) and its first label
    for row in rows:
        node, p, up = row["node"].value, row["p"].value, row["up"].value
        rank = _LABELS.index(row["lp"].value) if "lp" in row else -1
        best = steps.get(node)
        if best is None or (p, up, rank) < best[:3]:
            steps[node] = (p, up, rank, row)
    trail: list[Crumb] = []
    seen = {iri}
    node = iri
    for _ in range(limit):
        step = steps.get(node)
        if step is None or step[1] in seen:
            break
        up = step[1]
        seen.add(up)
        trail.insert(0, Crumb(_text(step[3], "xl", up), local_href(up)))
        node = up
    for cls, text, href in LIST_PAGES:
        if cls in kinds:
            trail.insert(0, Crumb(text, href))
            break
    return trail


#: (heading, pattern linking ?x to the resource ?me) of the "cited in" lists.
CITED_IN = (
    (
        "Boxes of the report that mention this",
        f"{{ ?me <{IOP}section> ?x }} UNION {{ ?me <{IOP}describedInBox> ?x }} ?x a <{IOP}Box> .",
    ),
    ("Mitigations and good practices that cite this", f"?x <{IOP}backedBy>|<{IOP}usesEnabler> ?me ."),
    ("Footnotes that cite this", f"?x <{IOP}cites> ?me ."),
)


async def cited_in(backend: Backend, iri: str) -> list[tuple[str, list[Crumb]]]:
    """Where the resource is cited: the boxes that mention it, the practices and footnotes that cite it."""
    me = ox.NamedNode(iri)
    found = []
    rows = await backend.select(
        f"SELECT DISTINCT ?h ?x ?xl WHERE {{ VALUES ?me {{ {me} }} "
        + _branches(pattern for _, pattern in CITED_IN)
        + f" {_LABEL} FILTER(isIRI(?x)) }}"
    )
    for index, (heading, _) in enumerate(CITED_IN):
        crumbs = sorted(
            {Crumb(_text(r, "xl", r["x"].value), local_href(r["x"].value)) for r in _of_branch(rows, index)},
            key=Crumb.sort_key,
        )
        if crumbs:
            found.append((heading, crumbs))
    return found
