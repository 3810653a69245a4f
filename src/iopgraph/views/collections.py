"""Framed, paged collections of the graph for harvesters: ``/api/challenges``, ``/api/mitigations``, ...

Each collection is a row of :data:`COLLECTIONS`: which resources are members,
how they are ordered, which incoming links are embedded in each member, and
which filters (``?family=cultural-interoperability``) narrow it. A page holds
the members' own triples, the incoming links of the spec, and the labels and
types of everything they link to: all triples of the store, which the tests
check by expanding the JSON-LD with an independent processor.

    page = await collection_page(backend, COLLECTIONS["challenges"], {"family": ["cultural-interoperability"]}, 1, 50)
    page.members, page.total, page.triples

Filter values are slugs (resolved in the filter's namespace) or absolute IRIs,
validated as RDF terms before they reach a query (``VALUES`` rows). Repeated
values are merged; more than :data:`MAX_FILTER_VALUES` distinct filter values
are refused (400), since each adds a join. A filtered member query (whose cost
grows with the filters) runs like a user's query: in a worker process, killed
at ``IOPGRAPH_QUERY_TIMEOUT`` (503), scheduled fairly per client; the unfiltered
one is a fixed query of the service and runs on the on-disk store.

Every other query of a page starts from bound subjects (the members, found
first): what orders them (labels, report order, recommendation number, parent),
their triples, their incoming links and the labels of what they link to; one
query per kind of fact, ``FILTER(?p IN (...))`` over each subject's triples,
never a scan of all triples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from iopgraph.core.errors import InvalidParameter, ResourceNotFound
from iopgraph.core.iri import is_slug
from iopgraph.core.media_types import RESULTS_JSON
from iopgraph.core.namespaces import CONCEPT, ID, ONTOLOGY, PREFIXES, RDF_TYPE
from iopgraph.core.terms import Subject, object_of, subject_of
from iopgraph.store.backend import Backend
from iopgraph.store.engine import QueryJob
from iopgraph.views.describe import (
    chunks,
    facts,
    labels_from,
    outgoing,
    own_triples,
    summaries,
    values_block,
    with_blank_nodes,
)
from iopgraph.views.member_orders import orders_of

IOP = ONTOLOGY
SKOS = PREFIXES["skos"]
ORG = PREFIXES["org"]
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
RESERVED = frozenset({"page", "limit", "format"})
#: Most distinct filter values one request may give (each one adds a join to the member query).
MAX_FILTER_VALUES = 10
#: Seconds the member query may run when the caller gives no timeout.
DEFAULT_TIMEOUT = 30.0

Term = ox.NamedNode | ox.BlankNode | ox.Literal

_PREFIXES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


@dataclass(frozen=True)
class Filter:
    """One query parameter: ``pattern`` links ``?member`` to ``?value`` (one VALUES row per given value).

    Other variables of a pattern start with ``?_`` and are renamed per filter.
    """

    name: str
    pattern: str
    namespace: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, IRI or literal text) for enumerated filters
    description: str = ""

    def term(self, value: str) -> ox.NamedNode | ox.Literal:
        value = value.strip()
        if self.choices:
            allowed = dict(self.choices)
            if value not in allowed:
                raise InvalidParameter(f"{self.name}={value!r}: expected one of {', '.join(allowed)}")
            target = allowed[value]
            return (
                ox.Literal(target, datatype=ox.NamedNode(PREFIXES["xsd"] + "boolean"))
                if target in ("true", "false")
                else ox.NamedNode(target)
            )
        if value.startswith(("http://", "https://")):
            try:
                return ox.NamedNode(value)
            except ValueError as exc:
                raise InvalidParameter(f"{self.name}: {value!r} is not a valid IRI") from exc
        if is_slug(value):
            return ox.NamedNode(self.namespace + value)
        raise InvalidParameter(
            f"{self.name}={value!r}: give a slug (lowercase words joined by hyphens, e.g. "
            f"'{self.example}') or a full IRI"
        )

    @property
    def example(self) -> str:
        return "cultural-interoperability" if "challenge" in self.namespace else "some-name"


@dataclass(frozen=True)
class CollectionSpec:
    """One collection view."""

    name: str
    title: str
    members: str  # a graph pattern binding ?member
    filters: tuple[Filter, ...]
    reverse: frozenset[str] = frozenset()  # incoming predicates embedded as summaries
    full_reverse: frozenset[str] = frozenset()  # incoming predicates whose subjects are embedded in full
    tree: bool = False  # order members depth-first along skos:broader

    def filter(self, name: str) -> Filter:
        for f in self.filters:
            if f.name == name:
                return f
        allowed = ", ".join(sorted([f.name for f in self.filters] + ["page", "limit"]))
        raise InvalidParameter(f"unknown parameter {name!r} for /api/{self.name}; allowed: {allowed}")


CHALLENGE_NS = CONCEPT + "challenge/"
_CHALLENGE_LEVELS = (
    ("family", IOP + "ChallengeFamily"),
    ("cluster", IOP + "ChallengeCluster"),
    ("sub-challenge", IOP + "SubChallenge"),
    ("factor", IOP + "ChallengeFactor"),
)

COLLECTIONS: dict[str, CollectionSpec] = {
    spec.name: spec
    for spec in (
        CollectionSpec(
            "challenges",
            "Challenges",
            f"?member skos:inScheme <{CONCEPT}challenge> .",
            (
                Filter(
                    "family",
                    "?member skos:broader* ?value . ?value a iop:ChallengeFamily .",
                    CHALLENGE_NS,
                    description="challenges of one family (and the family itself)",
                ),
                Filter(
                    "broader",
                    "?member skos:broader+ ?value .",
                    CHALLENGE_NS,
                    description="challenges below this challenge",
                ),
                Filter(
                    "element",
                    "?member iop:concernsElement ?value .",
                    CONCEPT + "eif4scc-element/",
                    description="challenges concerning an EIF4SCC element",
                ),
                Filter(
                    "level",
                    "?member a ?value .",
                    choices=_CHALLENGE_LEVELS,
                    description="family, cluster, sub-challenge or factor",
                ),
                Filter(
                    "observed-in",
                    "?member iop:observedIn ?value .",
                    ID + "initiative/",
                    description="challenges met in a use case",
                ),
            ),
            reverse=frozenset({IOP + "addresses", SKOS + "broader", IOP + "describes"}),
            tree=True,
        ),
        CollectionSpec(
            "mitigations",
            "Mitigations and good practices",
            "?member a ?class . VALUES ?class { iop:Mitigation iop:GoodPractice }",
            (
                Filter(
                    "challenge",
                    "?member iop:addresses ?_c . ?_c skos:broader* ?value .",
                    CHALLENGE_NS,
                    description="mitigations addressing a challenge or one below it",
                ),
                Filter(
                    "initiative",
                    "?member iop:illustratedBy ?value .",
                    ID + "initiative/",
                    description="practices a use case illustrates",
                ),
                Filter(
                    "recommendation",
                    "?member iop:backedBy ?value .",
                    ID + "recommendation/",
                    description="practices an EIF4SCC recommendation backs",
                ),
                Filter("evidence-basis", "?member iop:evidenceBasis ?value .", CONCEPT + "evidence-basis/"),
                Filter(
                    "type",
                    "?member a ?value .",
                    choices=(("mitigation", IOP + "Mitigation"), ("good-practice", IOP + "GoodPractice")),
                ),
            ),
        ),
        CollectionSpec(
            "initiatives",
            "Initiatives and use cases",
            "?member a ?class . VALUES ?class { iop:Initiative iop:DataSpace iop:LocalDigitalTwin }",
            (
                Filter(
                    "type",
                    "?member a ?value .",
                    choices=(
                        ("data-space", IOP + "DataSpace"),
                        ("local-digital-twin", IOP + "LocalDigitalTwin"),
                    ),
                ),
                Filter(
                    "use-case",
                    "?member iop:isUseCase ?value .",
                    choices=(("true", "true"), ("false", "false")),
                    description="true for the four use cases of the report",
                ),
                Filter("city", "?member iop:city ?value .", ID + "place/"),
                Filter(
                    "organisation",
                    "?_p iop:participationIn ?member ; iop:participant ?value .",
                    ID + "organisation/",
                ),
            ),
            reverse=frozenset({IOP + "illustratedBy"}),
            full_reverse=frozenset({IOP + "participationIn"}),
        ),
        CollectionSpec(
            "organisations",
            "Organisations",
            "?member a ?class . VALUES ?class { org:Organization org:OrganizationalUnit org:FormalOrganization "
            "org:OrganizationalCollaboration m8g:PublicOrganisation iop:Network }",
            (
                Filter("sector", "?member iop:sector ?value .", CONCEPT + "helix-sector/"),
                Filter(
                    "initiative",
                    "?_p iop:participant ?member ; iop:participationIn ?value .",
                    ID + "initiative/",
                ),
                Filter(
                    "role", "?_p iop:participant ?member ; iop:role ?value .", CONCEPT + "participation-role/"
                ),
            ),
            full_reverse=frozenset({IOP + "participant"}),
        ),
        CollectionSpec(
            "recommendations",
            "EIF4SCC recommendations",
            "?member a iop:Recommendation .",
            (
                Filter("element", "?member iop:concernsElement ?value .", CONCEPT + "eif4scc-element/"),
                Filter(
                    "challenge",
                    "?_m iop:backedBy ?member ; iop:addresses ?_c . ?_c skos:broader* ?value .",
                    CHALLENGE_NS,
                    description="recommendations behind the mitigations of a challenge",
                ),
            ),
            reverse=frozenset({IOP + "backedBy"}),
        ),
        CollectionSpec(
            "statistics",
            "Statistics",
            "?member a iop:Statistic .",
            (
                Filter("challenge", "?member iop:describes ?_c . ?_c skos:broader* ?value .", CHALLENGE_NS),
                Filter("area", "?member iop:area ?value .", ID + "place/"),
                Filter("unit", "?member iop:unit ?value .", CONCEPT + "unit/"),
            ),
        ),
    )
}


@dataclass
class CollectionPage:
    """One page of a collection: its members in order and every triple the page holds."""

    spec: CollectionSpec
    members: list[ox.NamedNode]
    total: int
    page: int
    limit: int
    triples: list[ox.Triple] = field(default_factory=list)

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.limit))


def parse_filters(
    spec: CollectionSpec, params: list[tuple[str, str]]
) -> list[tuple[Filter, ox.NamedNode | ox.Literal]]:
    """Validate query parameters into (filter, term) pairs; unknown names and bad values raise 400."""
    chosen: list[tuple[Filter, ox.NamedNode | ox.Literal]] = []
    seen: set[tuple[str, str]] = set()
    for name, value in params:
        if name in RESERVED:
            continue
        f = spec.filter(name)
        term = f.term(value)
        if (f.name, str(term)) in seen:
            continue  # the same value twice narrows nothing further
        seen.add((f.name, str(term)))
        chosen.append((f, term))
        if len(chosen) > MAX_FILTER_VALUES:
            raise InvalidParameter(
                f"/api/{spec.name} accepts at most {MAX_FILTER_VALUES} distinct filter values per request; "
                "split the request, or use /sparql for larger selections"
            )
    return chosen


def paging(page: str | None, limit: str | None) -> tuple[int, int]:
    try:
        p = int(page) if page is not None else 1
        n = int(limit) if limit is not None else DEFAULT_LIMIT
    except ValueError as exc:
        raise InvalidParameter("page and limit must be whole numbers") from exc
    if p < 1:
        raise InvalidParameter(f"page={p}: pages start at 1")
    if not 1 <= n <= MAX_LIMIT:
        raise InvalidParameter(f"limit={n}: must be between 1 and {MAX_LIMIT}")
    return p, n


def _member_query(spec: CollectionSpec, filters: list[tuple[Filter, ox.NamedNode | ox.Literal]]) -> str:
    parts = [spec.members]
    for index, (f, term) in enumerate(filters):
        var = f"?f{index}"
        # helper variables (?_x) are renamed per filter so that two filters never share one
        parts.append("{ " + f.pattern.replace("?value", var).replace("?_", f"?_{index}") + " }")
        parts.append(f"VALUES {var} {{ {term} }}")
    return _PREFIXES + "SELECT DISTINCT ?member WHERE {\n  " + "\n  ".join(parts) + "\n}"


_LABEL, _NUMBER, _PARENT, _SECTION, _ORDER = (
    SKOS + "prefLabel",
    IOP + "recommendationNumber",
    SKOS + "broader",
    IOP + "section",
    IOP + "order",
)
_RDFS_LABEL = PREFIXES["rdfs"] + "label"
#: What orders the members: their labels, numbers and parents, and the report order of their sections.
_SORT_FACTS = (
    f"{{ ?member ?p ?o FILTER(?p IN (<{_LABEL}>, <{_RDFS_LABEL}>, <{_NUMBER}>, <{_PARENT}>)) }} "
    f"UNION {{ ?member <{_SECTION}> ?section . ?section <{_ORDER}> ?o BIND(<{_ORDER}> AS ?p) }}"
)


async def _sort_facts(backend: Backend, members: list[ox.NamedNode]) -> list[dict[str, Term]]:
    rows: list[dict[str, Term]] = []
    for chunk in chunks(members):
        rows += await backend.select(
            "SELECT ?member ?p ?o WHERE { VALUES ?member { "
            + values_block(chunk)
            + " } "
            + _SORT_FACTS
            + " }"
        )
    return rows


def _ordered(members: list[ox.NamedNode], facts: list[dict[str, Term]], tree: bool) -> list[ox.NamedNode]:
    """Members sorted by (recommendation number, report order, label); depth-first along broader for trees.

    Each part of the key is the member's smallest value of it (lower-cased labels, any language)."""
    inf = float("inf")
    numbers: dict[ox.NamedNode, float] = {}
    orders: dict[ox.NamedNode, float] = {}
    labels: dict[ox.NamedNode, str] = {}
    parents: dict[ox.NamedNode, ox.NamedNode] = {}
    for row in facts:
        member, p, o = row["member"], row["p"].value, row["o"]
        assert isinstance(member, ox.NamedNode)
        if p == _NUMBER:
            numbers[member] = min(numbers.get(member, inf), float(o.value))
        elif p == _ORDER:
            orders[member] = min(orders.get(member, inf), float(o.value))
        elif p in (_LABEL, _RDFS_LABEL):
            labels[member] = min(labels.get(member, o.value.lower()), o.value.lower())
        elif p == _PARENT and isinstance(o, ox.NamedNode):
            parents[member] = min(
                parents.get(member, o), o, key=str
            )  # one parent in a tree; any: the same one
    keys = {
        m: (numbers.get(m, inf), orders.get(m, inf), labels.get(m, ""), m.value)
        for m in dict.fromkeys(members)
    }
    if not tree:
        return sorted(keys, key=lambda m: keys[m])
    children: dict[ox.NamedNode | None, list[ox.NamedNode]] = defaultdict(list)
    for member in keys:
        parent = parents.get(member)
        children[parent if parent in keys else None].append(member)
    ordered: list[ox.NamedNode] = []

    def walk(node: ox.NamedNode | None) -> None:
        for child in sorted(children.get(node, []), key=lambda m: keys[m]):
            ordered.append(child)
            walk(child)

    walk(None)
    return ordered


async def _member_rows(backend: Backend, query: str, timeout: float, client: str) -> list[dict[str, Term]]:
    """The member query's rows, computed like a user's query: in a killable worker, within ``timeout``."""
    job = QueryJob(query=query, form="SELECT", media_type=RESULTS_JSON, max_results=1_000_000)
    outcome = await backend.run_query(job, timeout, client)
    result = ox.parse_query_results(outcome.body, ox.QueryResultsFormat.JSON)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: s[n] for n in names if s[n] is not None} for s in result]


async def collection_page(
    backend: Backend,
    spec: CollectionSpec,
    filters: list[tuple[Filter, ox.NamedNode | ox.Literal]],
    page: int,
    limit: int,
    timeout: float = DEFAULT_TIMEOUT,
    client: str = "",
    isolated: bool | None = None,
    path: str | None = None,
) -> CollectionPage:
    """One page of ``spec``'s members; ``isolated`` (default: when there are filters) runs the member query
    like a user's query (in a worker, within ``timeout``). ``path``: what a 404 for a page past the last
    one calls the collection (default ``/api/<name>``)."""
    # A large collection's order is kept per store version (views/member_orders.py): read before the
    # queries, so that an order made across a write is kept under the version it started from.
    orders = orders_of(backend)
    key = (str(backend.version), spec.name, tuple((f.name, str(term)) for f, term in filters))
    by_subject: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] | None = None
    members = orders.get(key)
    if members is None:
        found = await _members(backend, spec, filters, timeout, client, isolated)
        if len(found) <= MAX_LIMIT or (page == 1 and len(found) <= limit):
            # Few members (every collection of the shipped graph), or one page holds them all: their own
            # triples, one query, give the order and the page's triples (cheaper than a query for the
            # order, then one for the page).
            own = await own_triples(backend, found)
            members = _ordered(found, await _facts_from(backend, own), spec.tree)
            by_subject = defaultdict(list)
            for t in own:
                by_subject[t.subject].append(t)  # type: ignore[index]
        else:
            members = orders.put(key, _ordered(found, await _sort_facts(backend, found), spec.tree))
    result = CollectionPage(spec, [], len(members), page, limit)
    if page > result.last_page:
        raise ResourceNotFound(
            f"page {page} of {path or '/api/' + spec.name} does not exist; the last page is {result.last_page}"
        )
    result.members = members[(page - 1) * limit : page * limit]
    shown = None if by_subject is None else [t for m in result.members for t in by_subject[m]]
    result.triples = await page_triples(backend, spec, result.members, shown)  # as own_triples(members)
    return result


async def _members(
    backend: Backend,
    spec: CollectionSpec,
    filters: list[tuple[Filter, ox.NamedNode | ox.Literal]],
    timeout: float,
    client: str,
    isolated: bool | None,
) -> list[ox.NamedNode]:
    """The members (unordered); ``isolated`` (default: when there are filters) runs the query in a worker."""
    query = _member_query(spec, filters)
    # The shape of a filtered query is the client's (one join per value): it runs isolated and timed.
    # An unfiltered one (or one whose filters the service itself wrote) is the service's own fixed
    # query, answered from the on-disk store.
    isolated = bool(filters) if isolated is None else isolated
    rows = await (_member_rows(backend, query, timeout, client) if isolated else backend.select(query))
    return [m for m in dict.fromkeys(r["member"] for r in rows) if isinstance(m, ox.NamedNode)]


async def _facts_from(backend: Backend, own: list[ox.Triple]) -> list[dict[str, Term]]:
    """The sort facts of the members whose triples are ``own`` (what :func:`_sort_facts` asks the store)."""
    wanted = (_LABEL, _RDFS_LABEL, _NUMBER, _PARENT)
    rows: list[dict[str, Term]] = []
    sections: list[tuple[ox.NamedNode, ox.NamedNode]] = []
    for t in own:  # one pass; each predicate IRI read once (pyoxigraph makes a new string per access)
        predicate = t.predicate.value
        if predicate in wanted:
            rows.append({"member": t.subject, "p": t.predicate, "o": t.object})  # type: ignore[dict-item]
        elif predicate == _SECTION:
            subject, section = t.subject, t.object
            if isinstance(subject, ox.NamedNode) and isinstance(section, ox.NamedNode):
                sections.append((subject, section))
    orders: dict[Subject, list[Term]] = defaultdict(list)
    targets = list(dict.fromkeys(s for _, s in sections))
    for t in await backend.triples_of(targets, [_ORDER]) if targets else []:
        orders[subject_of(t)].append(object_of(t))
    order = ox.NamedNode(_ORDER)
    rows += [{"member": m, "p": order, "o": o} for m, s in sections for o in orders.get(s, [])]
    return rows


async def ordered_members(
    backend: Backend,
    spec: CollectionSpec,
    filters: list[tuple[Filter, ox.NamedNode | ox.Literal]],
    timeout: float = DEFAULT_TIMEOUT,
    client: str = "",
    isolated: bool | None = None,
) -> list[ox.NamedNode]:
    """All members of ``spec`` (narrowed by ``filters``) in the collection's order."""
    members = await _members(backend, spec, filters, timeout, client, isolated)
    return _ordered(members, await _sort_facts(backend, members), spec.tree)


async def ordered_with_facts(
    backend: Backend,
    spec: CollectionSpec,
    filters: list[tuple[Filter, ox.NamedNode | ox.Literal]],
    predicates: Iterable[str],
    isolated: bool | None = None,
) -> tuple[list[ox.NamedNode], list[ox.Triple]]:
    """All members of ``spec`` in the collection's order, and their triples with one of ``predicates``:
    one query gives both (the predicates that order the members are asked for with the others)."""
    members = await _members(backend, spec, filters, DEFAULT_TIMEOUT, "", isolated)
    own = await facts(backend, members, [*predicates, _LABEL, _RDFS_LABEL, _NUMBER, _PARENT, _SECTION])
    return _ordered(members, await _facts_from(backend, own), spec.tree), own


async def incoming(
    backend: Backend, members: list[ox.NamedNode], predicates: Iterable[str]
) -> list[ox.Triple]:
    """The triples ``?s <p> ?member`` for each of ``predicates`` (in predicate order, then member order)."""
    wanted = sorted(predicates)
    if not wanted or not members:
        return []
    found = await backend.triples_to(members, wanted)
    rank = {p: i for i, p in enumerate(wanted)}
    return sorted(found, key=lambda t: rank[t.predicate.value])  # stable: per predicate, in member order


async def page_triples(
    backend: Backend, spec: CollectionSpec, members: list[ox.NamedNode], own: list[ox.Triple] | None = None
) -> list[ox.Triple]:
    """The members' triples, the spec's incoming links, and the labels and types of everything linked.

    ``own``: the members' own triples when the caller has them (``own_triples(members)``)."""
    if not members:
        return []
    triples = await (outgoing(backend, members) if own is None else with_blank_nodes(backend, own))
    links = await incoming(backend, members, spec.reverse | spec.full_reverse)
    full = sorted(
        {
            t.subject
            for t in links
            if t.predicate.value in spec.full_reverse and isinstance(t.subject, ox.NamedNode)
        },
        key=str,
    )
    embedded = await outgoing(backend, full) if full else []
    inside = set(members) | set(full)
    linked = [t.object for t in (*triples, *embedded) if t.predicate != RDF_TYPE] + [t.subject for t in links]
    # the page holds all the triples of what is inside it: labels are looked up for the rest only
    labels = await summaries(backend, [x for x in linked if x not in inside])
    return list(dict.fromkeys([*triples, *links, *embedded, *labels]))


def member_labels(page: CollectionPage) -> dict[str, str]:
    return labels_from(page.triples)
