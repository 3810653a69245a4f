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

from dataclasses import dataclass, field

import pyoxigraph as ox

from iopgraph.core.namespaces import ONTOLOGY, PREFIXES
from iopgraph.store.backend import Backend
from iopgraph.views.links import local_href

IOP, SKOS, DCT, RDFS = ONTOLOGY, PREFIXES["skos"], PREFIXES["dcterms"], PREFIXES["rdfs"]
_LABEL = f"OPTIONAL {{ ?x <{SKOS}prefLabel>|<{RDFS}label>|<{DCT}title> ?xl }}"

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


def _text(row: dict[str, ox.NamedNode | ox.BlankNode | ox.Literal], var: str, iri: str) -> str:
    return row[var].value if var in row else iri.rstrip("/").rsplit("/", 1)[-1]


async def rollup(backend: Backend, iri: str) -> list[RollupGroup]:
    """The groups of ``iri``'s narrower challenges that have anything to show, in label order."""
    me = ox.NamedNode(iri)
    groups: dict[str, RollupGroup] = {}
    for heading, pattern in ROLLED_UP:
        rows = await backend.select(
            f"SELECT DISTINCT ?sub ?sl ?x ?xl WHERE {{ VALUES ?me {{ {me} }} ?sub <{SKOS}broader>+ ?me . {pattern} "
            f"OPTIONAL {{ ?sub <{SKOS}prefLabel> ?sl }} {_LABEL} FILTER(isIRI(?x)) }}"
        )
        for row in rows:
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


async def breadcrumbs(backend: Backend, iri: str, limit: int = 8) -> list[Crumb]:
    """The trail above ``iri`` (its list page first, then its ancestors, top first); the resource itself is not in it."""
    me = ox.NamedNode(iri)
    types = {r["t"].value for r in await backend.select(f"SELECT ?t WHERE {{ {me} a ?t }}")}
    trail: list[Crumb] = []
    seen = {iri}
    node = me
    for _ in range(limit):
        rows = await backend.select(
            "SELECT ?up ?p ?xl WHERE { VALUES ?p { "
            + " ".join(f"<{p}>" for p in _UP)
            + f" }} {node} ?p ?up . "
            f"BIND(?up AS ?x) {_LABEL} FILTER(isIRI(?up)) }} ORDER BY ?p ?up LIMIT 1"
        )
        if not rows or rows[0]["up"].value in seen:
            break
        up = rows[0]["up"].value
        seen.add(up)
        trail.insert(0, Crumb(_text(rows[0], "xl", up), local_href(up)))
        node = ox.NamedNode(up)
    for cls, text, href in LIST_PAGES:
        if cls in types:
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
    for heading, pattern in CITED_IN:
        rows = await backend.select(
            f"SELECT DISTINCT ?x ?xl WHERE {{ VALUES ?me {{ {me} }} {pattern} {_LABEL} FILTER(isIRI(?x)) }}"
        )
        crumbs = sorted(
            {Crumb(_text(r, "xl", r["x"].value), local_href(r["x"].value)) for r in rows},
            key=Crumb.sort_key,
        )
        if crumbs:
            found.append((heading, crumbs))
    return found
