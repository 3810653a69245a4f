"""The views' index-friendly queries give what straightforward reference lookups give, on the shipped graph.

Each view query starts from bound subjects (``VALUES``, ``FILTER(?p IN ...)``); here
every one is checked against the plainest way to get the same facts: pyoxigraph's
``quads_for_pattern`` per subject and predicate, or the per-step / per-list queries
the views used before they were batched.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pyoxigraph as ox
import pytest

from iopgraph.core.namespaces import CONCEPT, ID, ONTOLOGY, PREFIXES
from iopgraph.core.namespaces import RDF_TYPE_IRI as RDF_TYPE
from iopgraph.store.backend import LocalBackend
from iopgraph.views import rollup
from iopgraph.views.collections import (
    COLLECTIONS,
    collection_page,
    incoming,
    ordered_members,
    ordered_with_facts,
    page_triples,
)
from iopgraph.views.describe import LABEL_PREDICATES, facts, summaries
from iopgraph.views.guidance import guidance, parse_challenges
from iopgraph.views.links import local_href

IOP, SKOS, RDFS, DCT = ONTOLOGY, PREFIXES["skos"], PREFIXES["rdfs"], PREFIXES["dcterms"]
UP = (SKOS + "broader", DCT + "isPartOf", IOP + "partOfProgramme")
LABELS = f"<{SKOS}prefLabel>|<{RDFS}label>|<{DCT}title>"


@pytest.fixture(scope="module")
def backend(shipped_store: ox.Store) -> LocalBackend:
    return LocalBackend(shipped_store)


def lookup(store: ox.Store, subjects: list[ox.NamedNode], predicates: tuple[str, ...]) -> set[ox.Triple]:
    return {
        ox.Triple(q.subject, q.predicate, q.object)
        for s in subjects
        for p in predicates
        for q in store.quads_for_pattern(s, ox.NamedNode(p), None)
    }


def linked_iris(store: ox.Store, count: int = 600) -> list[ox.NamedNode]:
    found = {
        q.object for q in store.quads_for_pattern(None, None, None) if isinstance(q.object, ox.NamedNode)
    }
    return sorted(found, key=str)[:count]


def test_label_and_type_lookup_equals_one_lookup_per_subject_and_predicate(
    backend: LocalBackend, shipped_store: ox.Store
) -> None:
    iris = linked_iris(shipped_store)  # more than one batch of 400
    got = asyncio.run(summaries(backend, iris))
    assert len(got) == len(set(got))
    assert set(got) == lookup(shipped_store, iris, (RDF_TYPE, *LABEL_PREDICATES))
    assert got, "the sample links to labelled resources"


def test_facts_of_chosen_predicates_equal_per_subject_lookups(
    backend: LocalBackend, shipped_store: ox.Store
) -> None:
    iris = linked_iris(shipped_store, 300)
    wanted = (RDF_TYPE, SKOS + "broader", SKOS + "definition")
    assert set(asyncio.run(facts(backend, iris, wanted))) == lookup(shipped_store, iris, wanted)


@pytest.mark.parametrize("name", sorted(COLLECTIONS))
def test_members_are_the_collection_in_its_order(
    backend: LocalBackend, shipped_store: ox.Store, name: str
) -> None:
    """Same members as the collection's own pattern; order by (number, report order, label, IRI), trees depth-first."""
    spec = COLLECTIONS[name]
    prefixes = "".join(f"PREFIX {p}: <{i}>\n" for p, i in PREFIXES.items())
    result = shipped_store.query(
        prefixes + "SELECT ?member ?label ?order ?parent ?number WHERE { " + spec.members + " "
        "OPTIONAL { ?member skos:prefLabel|rdfs:label ?label } "
        "OPTIONAL { ?member iop:section/iop:order ?order } "
        "OPTIONAL { ?member iop:recommendationNumber ?number } "
        "OPTIONAL { ?member skos:broader ?parent } }",
        use_default_graph_as_union=True,
    )
    assert isinstance(result, ox.QuerySolutions)
    rows = list(result)
    inf = float("inf")
    keys: dict[str, tuple[float, float, str, str]] = {}
    parents: dict[str, str] = {}
    for r in rows:
        m = r["member"].value
        key = (
            float(r["number"].value) if r["number"] else inf,
            float(r["order"].value) if r["order"] else inf,
            r["label"].value.lower() if r["label"] else "",
            m,
        )
        keys[m] = min(keys.get(m, key), key)
        if r["parent"]:
            parents[m] = r["parent"].value
    members = [m.value for m in asyncio.run(ordered_members(backend, spec, []))]
    assert sorted(members) == sorted(keys)
    assert len(members) > 3
    if not spec.tree:
        assert members == sorted(members, key=keys.__getitem__)
        return
    position = {m: i for i, m in enumerate(members)}
    children: dict[str | None, list[str]] = defaultdict(list)
    for m in members:
        parent = parents.get(m) if parents.get(m) in keys else None
        if parent is not None:
            assert position[parent] < position[m], f"{m} comes before its parent"
        children[parent].append(m)
    for siblings in children.values():
        assert siblings == sorted(siblings, key=keys.__getitem__)


@pytest.mark.parametrize("name", ["challenges", "initiatives", "organisations"])
def test_incoming_links_equal_lookups_by_predicate_and_object(
    backend: LocalBackend, shipped_store: ox.Store, name: str
) -> None:
    spec = COLLECTIONS[name]
    members = asyncio.run(ordered_members(backend, spec, []))
    predicates = sorted(spec.reverse | spec.full_reverse)
    got = asyncio.run(incoming(backend, members, predicates))
    expected = {
        ox.Triple(q.subject, q.predicate, q.object)
        for p in predicates
        for m in members
        for q in shipped_store.quads_for_pattern(None, ox.NamedNode(p), m)
    }
    assert set(got) == expected and expected
    order = [predicates.index(t.predicate.value) for t in got]
    assert order == sorted(order), "grouped by predicate, in predicate order"


@pytest.mark.parametrize("name", ["mitigations", "statistics", "initiatives"])
def test_a_single_page_collection_holds_the_same_triples_as_the_paged_path(
    backend: LocalBackend, name: str
) -> None:
    """The one-page path orders members from their own triples; the page is what page_triples gives."""
    spec = COLLECTIONS[name]
    page = asyncio.run(collection_page(backend, spec, [], 1, 200))
    assert page.members == asyncio.run(ordered_members(backend, spec, []))
    assert page.triples == asyncio.run(page_triples(backend, spec, page.members))


@pytest.mark.parametrize(
    ("name", "page", "limit"), [("challenges", 2, 20), ("mitigations", 3, 10), ("organisations", 2, 50)]
)
def test_a_later_page_of_a_small_collection_holds_what_the_paged_path_gives(
    backend: LocalBackend, name: str, page: int, limit: int
) -> None:
    """A collection of at most 200 members is ordered from all its members' own triples, for any page."""
    spec = COLLECTIONS[name]
    found = asyncio.run(collection_page(backend, spec, [], page, limit))
    every = asyncio.run(ordered_members(backend, spec, []))
    assert found.members == every[(page - 1) * limit : page * limit] and found.members
    assert found.triples == asyncio.run(page_triples(backend, spec, found.members))


@pytest.mark.parametrize("name", ["challenges", "initiatives", "recommendations"])
def test_members_with_their_facts_in_one_query_equal_the_order_and_a_lookup(
    backend: LocalBackend, shipped_store: ox.Store, name: str
) -> None:
    spec = COLLECTIONS[name]
    wanted = (RDF_TYPE, SKOS + "definition", *LABEL_PREDICATES)
    members, own = asyncio.run(ordered_with_facts(backend, spec, [], wanted))
    assert members == asyncio.run(ordered_members(backend, spec, []))
    asked = (*wanted, SKOS + "broader", IOP + "recommendationNumber", IOP + "section")
    assert set(own) == lookup(shipped_store, members, asked) and own


SAMPLE = [
    ID + "report/d06-02/section/2-1-1",
    ID + "report/d06-02/section/annex-5-1",
    ID + "report/d06-02/box/4-2-how-to-promote-trust-among-stakeholders",
    CONCEPT + "challenge/lack-of-trust",
    CONCEPT + "challenge/cultural-interoperability",
    CONCEPT + "challenge/organisational-interoperability",
    ID + "initiative/flanders-smart-data-space",
    ID + "initiative/helsinki-3d-digital-twin",
    ID + "enabler/eif4scc",
    ID + "recommendation/eif4scc-r20",
]


async def reference_trail(backend: LocalBackend, iri: str, limit: int = 8) -> list[rollup.Crumb]:
    """The trail one step at a time: the first link up by (predicate, IRI), as the page did before."""
    trail: list[rollup.Crumb] = []
    seen, node = {iri}, iri
    for _ in range(limit):
        rows = await backend.select(
            "SELECT ?up ?xl WHERE { VALUES ?p { " + " ".join(f"<{p}>" for p in UP) + f" }} <{node}> ?p ?up . "
            f"OPTIONAL {{ ?up {LABELS} ?xl }} FILTER(isIRI(?up)) }} ORDER BY ?p ?up LIMIT 1"
        )
        if not rows or rows[0]["up"].value in seen:
            break
        up = rows[0]["up"].value
        seen.add(up)
        trail.insert(0, rollup.Crumb(rows[0]["xl"].value if "xl" in rows[0] else up, ""))
        node = up
    return trail


@pytest.mark.parametrize("iri", SAMPLE)
def test_breadcrumbs_walk_the_same_chain_as_one_query_per_step(backend: LocalBackend, iri: str) -> None:
    got = [
        c for c in asyncio.run(rollup.breadcrumbs(backend, iri)) if c.href.startswith(("/id/", "/concept/"))
    ]
    expected = asyncio.run(reference_trail(backend, iri))
    assert [c.text for c in got] == [c.text for c in expected]


@pytest.mark.parametrize("iri", SAMPLE)
def test_rollup_and_cited_in_equal_one_query_per_list(backend: LocalBackend, iri: str) -> None:
    async def per_list(patterns: tuple[tuple[str, str], ...], head: str) -> dict[str, set[tuple[str, ...]]]:
        found: dict[str, set[tuple[str, ...]]] = {}
        for heading, pattern in patterns:
            rows = await backend.select(
                f"SELECT DISTINCT {head} ?x ?xl WHERE {{ VALUES ?me {{ <{iri}> }} "
                + (f"?sub <{SKOS}broader>+ ?me . " if "?sub" in head else "")
                + f"{pattern} OPTIONAL {{ ?x {LABELS} ?xl }} FILTER(isIRI(?x)) }}"
            )
            found[heading] = {tuple(r[v].value if v in r else "" for v in ("sub", "x", "xl")) for r in rows}
        return {h: rows for h, rows in found.items() if rows}

    groups = asyncio.run(rollup.rollup(backend, iri))
    got_rollup: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for group in groups:
        for heading, items in group.lists:
            got_rollup[heading] |= {(group.challenge.href, c.text) for c in items}
    expected = asyncio.run(per_list(rollup.ROLLED_UP, "?sub"))
    assert set(got_rollup) == set(expected)
    for heading, rows in expected.items():
        assert got_rollup[heading] == {(local_href(r[0]), r[2] or r[1].rsplit("/", 1)[-1]) for r in rows}

    cited = dict(asyncio.run(rollup.cited_in(backend, iri)))
    expected_cited = asyncio.run(per_list(rollup.CITED_IN, ""))
    assert set(cited) == set(expected_cited)
    for heading, rows in expected_cited.items():
        assert sorted(c.text for c in cited[heading]) == sorted(r[2] or r[1].rsplit("/", 1)[-1] for r in rows)


def test_the_sample_has_trails_roll_ups_and_citations(backend: LocalBackend) -> None:
    """The comparisons above are not vacuous: the sample reaches every kind of list."""
    trails = [asyncio.run(rollup.breadcrumbs(backend, iri)) for iri in SAMPLE]
    assert max(len(t) for t in trails) >= 3
    assert any(asyncio.run(rollup.rollup(backend, iri)) for iri in SAMPLE)
    assert any(asyncio.run(rollup.cited_in(backend, iri)) for iri in SAMPLE)


REFERENCE_MATCHES = """PREFIX iop: <{iop}>
PREFIX skos: <{skos}>
SELECT ?selected ?m ?c ?relation WHERE {{
  VALUES ?selected {{ {values} }}
  {{ ?m iop:addresses ?selected . BIND(?selected AS ?c) BIND("direct" AS ?relation) }}
  UNION {{ ?m iop:addresses ?c . ?c skos:broader+ ?selected . BIND("narrower" AS ?relation) }}
  UNION {{ ?m iop:addresses ?c . ?selected skos:broader+ ?c . BIND("broader" AS ?relation) }}
}}"""


@pytest.mark.parametrize(
    "chosen",
    [["lack-of-trust"], ["lack-of-trust", "cultural-interoperability", "defining-the-problem-to-solve"]],
)
def test_guidance_matches_equal_the_query_over_all_addresses(
    backend: LocalBackend, chosen: list[str]
) -> None:
    """Each branch starts from the chosen challenges; the matches are those of the plain join."""
    challenges = parse_challenges(chosen)
    result = asyncio.run(guidance(backend, challenges))
    got = {(m.iri, x.challenge, x.via, x.relation) for m in result.mitigations for x in m.matches}
    rows = asyncio.run(
        backend.select(
            REFERENCE_MATCHES.format(iop=IOP, skos=SKOS, values=" ".join(str(c) for c in challenges))
        )
    )
    expected = {(r["m"].value, r["selected"].value, r["c"].value, r["relation"].value) for r in rows}
    assert got == expected
    assert len({x[3] for x in expected}) >= 2, "the sample matches in more than one way"
