"""Page models of the site's entry pages: home, challenge tree, use cases, lists, statistics chart, matrix.

Each function reads the graph through the collection views (so the pages show
what the JSON-LD API serves) and returns plain data for a template.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from iopgraph.core.namespaces import ONTOLOGY, PREFIXES, RDF_TYPE_IRI
from iopgraph.core.terms import object_of, subject_of
from iopgraph.store.backend import Backend
from iopgraph.views.collections import (
    COLLECTIONS,
    CollectionPage,
    collection_page,
    incoming,
    ordered_with_facts,
    parse_filters,
)
from iopgraph.views.describe import LABEL_PREDICATES, labels_from, values_block
from iopgraph.views.labels import format_quantity, label_for
from iopgraph.views.links import local_href

IOP = ONTOLOGY
SKOS = PREFIXES["skos"]
DCT = PREFIXES["dcterms"]
ALL = 100_000


class Index:
    """Triples of a page by subject and predicate, with labels."""

    def __init__(self, triples: list[ox.Triple]) -> None:
        self.props: dict[str, dict[str, list[ox.NamedNode | ox.BlankNode | ox.Literal]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.incoming: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        props, inbound = self.props, self.incoming
        for t in triples:  # each term read once (pyoxigraph makes a new object on every access)
            subject, predicate, obj = subject_of(t).value, t.predicate.value, object_of(t)
            props[subject][predicate].append(obj)
            if not isinstance(obj, ox.Literal):
                inbound[obj.value][predicate].append(subject)
        self.labels = labels_from(triples)

    def values(self, subject: str, predicate: str) -> list[str]:
        return sorted(str(o.value) for o in self.props[subject][predicate])

    def first(self, subject: str, *predicates: str) -> str | None:
        for p in predicates:
            found = self.values(subject, p)
            if found:
                return found[0]
        return None

    def link(self, iri: str) -> Link:
        return Link(label_for(iri, self.labels), local_href(iri), iri)

    def links(self, subject: str, predicate: str) -> list[Link]:
        return sorted((self.link(v) for v in self.values(subject, predicate)), key=Link.sort_key)

    def reverse_links(self, obj: str, predicate: str) -> list[Link]:
        return sorted((self.link(s) for s in set(self.incoming[obj][predicate])), key=Link.sort_key)

    def is_a(self, subject: str, cls: str) -> bool:
        return cls in self.values(subject, RDF_TYPE_IRI)


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    iri: str

    def sort_key(self) -> tuple[str, str]:
        """By text, then IRI: the same order in every process (ties never follow set order)."""
        return (self.text.lower(), self.iri)


async def everything(
    backend: Backend, name: str, params: list[tuple[str, str]] | None = None
) -> CollectionPage:
    """Every member of a collection on one page; ``params`` are the service's own (run in-process)."""
    spec = COLLECTIONS[name]
    return await collection_page(backend, spec, parse_filters(spec, params or []), 1, ALL, isolated=False)


async def counts(backend: Backend) -> dict[str, int]:
    result = {}
    for name, spec in COLLECTIONS.items():
        rows = await backend.select(
            "".join(f"PREFIX {p}: <{i}>\n" for p, i in PREFIXES.items())
            + f"SELECT (COUNT(DISTINCT ?member) AS ?n) WHERE {{ {spec.members} }}"
        )
        result[name] = int(rows[0]["n"].value) if rows else 0
    rows = await backend.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?i <{IOP}isUseCase> true }}")
    result["use-cases"] = int(rows[0]["n"].value) if rows else 0
    return result


# --- challenge tree ---------------------------------------------------------------------------------


@dataclass
class TreeNode:
    link: Link
    level: str
    definition: str | None
    mitigations: int
    children: list[TreeNode] = field(default_factory=list)


LEVELS = {
    IOP + "ChallengeFamily": "family",
    IOP + "ChallengeCluster": "cluster",
    IOP + "SubChallenge": "sub-challenge",
    IOP + "ChallengeFactor": "factor",
}


#: What a node of the tree shows of its challenge: level, label, definition, parent.
_TREE_PREDICATES = (RDF_TYPE_IRI, *LABEL_PREDICATES, SKOS + "definition", SKOS + "broader")


async def challenge_tree(backend: Backend) -> list[TreeNode]:
    """The challenges in tree order; three queries (members, their facts and order, the mitigations
    addressing them), four when challenges cite report sections (their order)."""
    members, own = await ordered_with_facts(backend, COLLECTIONS["challenges"], [], _TREE_PREDICATES)
    ix = Index(own + await incoming(backend, members, [IOP + "addresses"]))
    nodes: dict[str, TreeNode] = {}
    roots: list[TreeNode] = []
    for member in members:  # depth-first order: parents come first
        iri = member.value
        level = next((LEVELS[t] for t in ix.values(iri, RDF_TYPE_IRI) if t in LEVELS), "challenge")
        node = TreeNode(
            ix.link(iri),
            level,
            ix.first(iri, SKOS + "definition"),
            len(set(ix.incoming[iri][IOP + "addresses"])),
        )
        nodes[iri] = node
        parent = ix.first(iri, SKOS + "broader")
        (nodes[parent].children if parent in nodes else roots).append(node)
    return roots


def flatten(tree: list[TreeNode], depth: int = 0) -> list[tuple[int, TreeNode]]:
    out = []
    for node in tree:
        out.append((depth, node))
        out += flatten(node.children, depth + 1)
    return out


# --- use cases and lists -----------------------------------------------------------------------------


@dataclass
class Card:
    link: Link
    description: str | None
    facts: list[tuple[str, list[Link]]]
    extra: list[tuple[str, str]] = field(default_factory=list)  # (heading, text)
    participants: list[tuple[Link, Link]] = field(default_factory=list)  # (organisation, role)


async def use_cases(backend: Backend) -> list[Card]:
    page = await everything(backend, "initiatives", [("use-case", "true")])
    ix = Index(page.triples)
    cards = []
    for member in page.members:
        iri = member.value
        participants = []
        for participation in sorted(set(ix.incoming[iri][IOP + "participationIn"])):
            org, role = ix.first(participation, IOP + "participant"), ix.first(participation, IOP + "role")
            if org and role:
                participants.append((ix.link(org), ix.link(role)))
        participants.sort(key=lambda pr: (pr[1].text.lower(), pr[0].text.lower()))
        cards.append(
            Card(
                ix.link(iri),
                ix.first(iri, DCT + "description"),
                [
                    ("City or region", ix.links(iri, IOP + "city")),
                    ("Type", [ix.link(t) for t in ix.values(iri, RDF_TYPE_IRI)]),
                    ("Practices it illustrates", ix.reverse_links(iri, IOP + "illustratedBy")),
                ],
                [("Started", y) for y in ix.values(iri, IOP + "startYear")],
                participants,
            )
        )
    return cards


LIST_FACTS = {
    "mitigations": [
        ("Addresses", IOP + "addresses", False),
        ("Illustrated by", IOP + "illustratedBy", False),
        ("Backed by", IOP + "backedBy", False),
        ("Report section", IOP + "section", False),
    ],
    "recommendations": [
        ("Backs", IOP + "backedBy", True),
        ("Element", IOP + "concernsElement", False),
        ("Report section", IOP + "section", False),
    ],
    "organisations": [("Sector", IOP + "sector", False), ("Report section", IOP + "section", False)],
    "initiatives": [("City or region", IOP + "city", False), ("Report section", IOP + "section", False)],
}


#: Cards on one page of an HTML list. The shipped lists fit on one (87 mitigations at most); a large
#: graph's lists are paged, as the /api/ collections are: one page of 40,000 cards is 8.6 MB of HTML
#: and seconds of the event loop (docs/memory-and-startup.md).
LIST_PAGE_SIZE = 100


@dataclass
class CardPage:
    """One page of an HTML list: its cards, and where the page is among the list's pages."""

    cards: list[Card]
    page: int
    last_page: int
    total: int


async def cards(backend: Backend, name: str, page: int = 1, limit: int = LIST_PAGE_SIZE) -> CardPage:
    """Page ``page`` of the list of ``name`` (a collection), ``limit`` cards a page, in the collection's
    order; a page past the last one is a 404."""
    found = await collection_page(
        backend, COLLECTIONS[name], [], page, limit, isolated=False, path=f"/{name}"
    )
    ix = Index(found.triples)
    result = []
    for member in found.members:
        iri = member.value
        facts = [
            (heading, ix.reverse_links(iri, p) if reverse else ix.links(iri, p))
            for heading, p, reverse in LIST_FACTS[name]
        ]
        if name == "organisations":
            roles = []
            for participation in sorted(set(ix.incoming[iri][IOP + "participant"])):
                ini, role = (
                    ix.first(participation, IOP + "participationIn"),
                    ix.first(participation, IOP + "role"),
                )
                if ini and role:
                    roles.append((ix.link(ini), ix.link(role)))
            result.append(Card(ix.link(iri), ix.first(iri, DCT + "description"), facts, participants=roles))
            continue
        result.append(Card(ix.link(iri), ix.first(iri, DCT + "description", SKOS + "definition"), facts))
    return CardPage(result, found.page, found.last_page, found.total)


# --- statistics chart -------------------------------------------------------------------------------


@dataclass
class Figure:
    link: Link
    value: float
    unit: str
    area: str
    year: str | None
    comparison: float | None
    comparison_area: str | None
    challenges: list[Link]
    measure: str | None
    notation: str | None = None

    @property
    def shown(self) -> str:
        """The value as people write it (``77%``, ``EUR 7.5 billion``, ``4``)."""
        return format_quantity(self.value, self.notation)

    @property
    def comparison_shown(self) -> str:
        return format_quantity(self.comparison, self.notation) if self.comparison is not None else ""


async def statistics(backend: Backend) -> list[Figure]:
    page = await everything(backend, "statistics")
    ix = Index(page.triples)
    notations = {
        r["u"].value: r["n"].value
        for r in await backend.select(f"SELECT ?u ?n WHERE {{ ?s <{IOP}unit> ?u . ?u <{SKOS}notation> ?n }}")
    }
    figures = []
    for member in page.members:
        iri = member.value
        value = ix.first(iri, IOP + "value")
        if value is None:
            continue
        comparison = ix.first(iri, IOP + "comparisonValue")
        unit = ix.first(iri, IOP + "unit") or ""
        area = ix.first(iri, IOP + "area")
        comparison_area = ix.first(iri, IOP + "comparisonArea")
        figures.append(
            Figure(
                ix.link(iri),
                float(value),
                label_for(unit, ix.labels) if unit else "",
                ix.labels.get(area, "") if area else "",
                ix.first(iri, IOP + "year"),
                float(comparison) if comparison is not None else None,
                ix.labels.get(comparison_area, "") if comparison_area else None,
                ix.links(iri, IOP + "describes"),
                ix.first(iri, IOP + "measure"),
                notations.get(unit),
            )
        )
    return figures


def is_percent(figure: Figure) -> bool:
    return figure.unit.lower() in ("percent", "%", "per cent") and 0 <= figure.value <= 100


# --- challenge x use-case matrix ---------------------------------------------------------------------


@dataclass
class MatrixRow:
    depth: int
    challenge: TreeNode
    cells: list[tuple[bool, list[Link]]]  # per use case: (observed there, practices illustrated there)


async def matrix(backend: Backend) -> tuple[list[Link], list[MatrixRow]]:
    tree = flatten(await challenge_tree(backend))
    spec = COLLECTIONS["initiatives"]
    members, labels = await ordered_with_facts(
        backend, spec, parse_filters(spec, [("use-case", "true")]), LABEL_PREDICATES, isolated=False
    )
    cases_ix = Index(labels)
    cases = [cases_ix.link(m.value) for m in members]
    among = f"VALUES ?u {{ {values_block(members)} }}"
    rows = await backend.select(
        f"SELECT ?c ?u ?m ?label WHERE {{ {among} ?m <{IOP}illustratedBy> ?u ; <{IOP}addresses> ?c . "
        f"OPTIONAL {{ ?m <{PREFIXES['rdfs']}label> ?label }} }}"
    )
    practices: dict[tuple[str, str], set[Link]] = defaultdict(set)
    for r in rows:
        m = r["m"].value
        label = r["label"].value if "label" in r else label_for(m, {})
        practices[(r["c"].value, r["u"].value)].add(Link(label, local_href(m), m))
    observed = {
        (r["c"].value, r["u"].value)
        for r in await backend.select(f"SELECT ?c ?u WHERE {{ {among} ?c <{IOP}observedIn> ?u }}")
    }
    result = []
    for depth, node in tree:
        c = node.link.iri
        cells = [
            (
                (c, u.iri) in observed,
                sorted(practices.get((c, u.iri), set()), key=Link.sort_key),
            )
            for u in cases
        ]
        result.append(MatrixRow(depth, node, cells))
    return cases, result


@dataclass
class Bar:
    y: int
    width: float
    text: str
    kind: str  # "value" | "comparison"
    caption: str | None = None


@dataclass
class Chart:
    bars: list[Bar]
    width: int = 900
    left: int = 10
    bar: int = 16
    height: int = 0


def chart(figures: list[Figure], scale: float = 7.0) -> Chart | None:
    """Horizontal bars of the percentages (100% = ``scale`` * 100 px), each with its comparison bar."""
    shown = [f for f in figures if is_percent(f)]
    if not shown:
        return None
    result = Chart([])
    y = 22
    for f in shown:
        caption = f.link.text if len(f.link.text) <= 110 else f.link.text[:107] + "…"
        result.bars.append(Bar(y, f.value * scale, f"{f.shown} {f.area}".strip(), "value", caption))
        y += result.bar + 3
        if f.comparison is not None and 0 <= f.comparison <= 100:
            result.bars.append(
                Bar(
                    y,
                    f.comparison * scale,
                    f"{f.comparison_shown} {f.comparison_area or ''}".strip(),
                    "comparison",
                )
            )
            y += result.bar + 3
        y += 24
    result.height = y
    return result
