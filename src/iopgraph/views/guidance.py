"""Guidance: from the challenges an initiative faces to the mitigations, recommendations and use cases that help.

    result = await guidance(backend, [ox.NamedNode(ch + "defining-the-problem-to-solve")])
    result.mitigations       # ranked, best first

A mitigation matches a chosen challenge when it addresses that challenge
(``direct``), one below it (``narrower``: it helps with part of it) or one above
it (``broader``: general advice that covers it). Ranking, best first:

1. how many of the chosen challenges it covers;
2. the strength of the matches (direct 3, narrower 2, broader 1, summed);
3. whether the report observed it in a use case (``iop:GoodPractice``);
4. how many EIF4SCC recommendations back it;
5. its label, for a stable order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import pyoxigraph as ox

from iopgraph.core.errors import InvalidParameter
from iopgraph.core.iri import is_slug
from iopgraph.core.namespaces import CONCEPT, ONTOLOGY, PREFIXES, RDF_TYPE_IRI
from iopgraph.core.terms import object_of, subject_of
from iopgraph.store.backend import Backend
from iopgraph.views.describe import labels_from, outgoing, summaries, values_block
from iopgraph.views.labels import label_for

IOP = ONTOLOGY
CHALLENGE_NS = CONCEPT + "challenge/"
WEIGHTS = {"direct": 3, "narrower": 2, "broader": 1}
MAX_CHALLENGES = 50

_MATCH_QUERY = """PREFIX iop: <{iop}>
PREFIX skos: <{skos}>
SELECT ?selected ?m ?c ?relation WHERE {{
  {{ VALUES ?selected {{ {values} }} ?m iop:addresses ?selected . BIND(?selected AS ?c) BIND("direct" AS ?relation) }}
  UNION {{ VALUES ?selected {{ {values} }} ?c skos:broader+ ?selected . ?m iop:addresses ?c . BIND("narrower" AS ?relation) }}
  UNION {{ VALUES ?selected {{ {values} }} ?selected skos:broader+ ?c . ?m iop:addresses ?c . BIND("broader" AS ?relation) }}
}}"""


@dataclass
class Match:
    challenge: str  # the chosen challenge
    via: str  # the challenge the mitigation addresses
    relation: str  # direct | narrower | broader


@dataclass
class RankedMitigation:
    iri: str
    label: str
    good_practice: bool
    matches: list[Match] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    use_cases: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    boxes: list[str] = field(default_factory=list)
    description: str | None = None

    @property
    def covered(self) -> int:
        return len({m.challenge for m in self.matches})

    @property
    def strength(self) -> int:
        best: dict[str, int] = {}
        for m in self.matches:
            best[m.challenge] = max(best.get(m.challenge, 0), WEIGHTS[m.relation])
        return sum(best.values())

    def sort_key(self) -> tuple[int, int, int, int, str]:
        return (
            -self.covered,
            -self.strength,
            -int(self.good_practice),
            -len(self.recommendations),
            self.label.lower(),
        )

    def reasons(self) -> list[Reason]:
        """One reason per chosen challenge: the strongest match, with the challenges it goes through."""
        best: dict[str, Reason] = {}
        for m in self.matches:  # sorted strongest first
            found = best.get(m.challenge)
            if found is None:
                best[m.challenge] = Reason(m.challenge, m.relation, [] if m.relation == "direct" else [m.via])
            elif found.relation == m.relation and m.relation != "direct" and m.via not in found.via:
                found.via.append(m.via)
        return list(best.values())


@dataclass
class Reason:
    challenge: str
    relation: str  # direct | narrower | broader
    via: list[str]


@dataclass
class Guidance:
    challenges: list[ox.NamedNode]
    mitigations: list[RankedMitigation]
    triples: list[ox.Triple]
    labels: dict[str, str]
    descriptions: dict[str, str]
    numbers: dict[str, int] = field(default_factory=dict)  # recommendation → its number
    notations: dict[str, str] = field(default_factory=dict)  # section or box → section number

    def label(self, iri: str) -> str:
        return label_for(iri, self.labels)

    def place(self, iri: str, box: bool = False) -> str:
        """A section or box as the report numbers it: ``3.3 Title``; a box ``box 3.3 “Title”``."""
        number = self.notations.get(iri)
        if box:
            return f"box {number} “{self.label(iri)}”" if number else f"box “{self.label(iri)}”"
        return f"{number} {self.label(iri)}" if number else self.label(iri)

    def recommendation_key(self, iri: str) -> tuple[int, str]:
        return (self.numbers.get(iri, 10**6), iri)

    def ranked(self, prop: str) -> list[tuple[str, int]]:
        """Recommendations or use cases by how many of the ranked mitigations cite them."""
        counts: dict[str, int] = {}
        for m in self.mitigations:
            for iri in getattr(m, prop):
                counts[iri] = counts.get(iri, 0) + 1
        if prop == "recommendations":
            return sorted(counts.items(), key=lambda kv: (-kv[1], self.recommendation_key(kv[0])))
        return sorted(counts.items(), key=lambda kv: (-kv[1], self.label(kv[0]).lower()))


def parse_challenges(values: list[str]) -> list[ox.NamedNode]:
    """Challenge slugs or IRIs from ``?challenge=``; at least one, at most MAX_CHALLENGES."""
    if not values:
        raise InvalidParameter("give at least one challenge, e.g. ?challenge=defining-the-problem-to-solve")
    if len(values) > MAX_CHALLENGES:
        raise InvalidParameter(f"at most {MAX_CHALLENGES} challenges at a time")
    chosen = []
    for value in values:
        value = value.strip()
        if is_slug(value):
            chosen.append(ox.NamedNode(CHALLENGE_NS + value))
        elif value.startswith(CHALLENGE_NS) and is_slug(value[len(CHALLENGE_NS) :]):
            chosen.append(ox.NamedNode(value))
        else:
            raise InvalidParameter(
                f"challenge={value!r}: give a challenge slug or its IRI ({CHALLENGE_NS}...)"
            )
    return list(dict.fromkeys(chosen))


async def unknown_challenges(backend: Backend, chosen: list[ox.NamedNode]) -> list[str]:
    rows = await backend.select(
        f"SELECT ?c WHERE {{ VALUES ?c {{ {values_block(chosen)} }} ?c <{PREFIXES['skos']}inScheme> <{CONCEPT}challenge> }}"
    )
    known = {r["c"].value for r in rows}
    return [c.value for c in chosen if c.value not in known]


async def guidance(backend: Backend, chosen: list[ox.NamedNode]) -> Guidance:
    missing = await unknown_challenges(backend, chosen)
    if missing:
        raise InvalidParameter("not challenges of the graph: " + ", ".join(missing))
    rows = await backend.select(
        _MATCH_QUERY.format(iop=IOP, skos=PREFIXES["skos"], values=values_block(chosen))
    )
    found: dict[str, list[Match]] = {}
    for row in rows:
        found.setdefault(row["m"].value, []).append(
            Match(row["selected"].value, row["c"].value, row["relation"].value)
        )
    mitigations = [ox.NamedNode(m) for m in sorted(found)]
    own = await outgoing(backend, mitigations)
    # iop:backedBy links to recommendations (sh:class iop:Recommendation): IRIs.
    recs = sorted(
        {cast(ox.NamedNode, t.object) for t in own if t.predicate.value == IOP + "backedBy"}, key=str
    )
    rec_triples = await outgoing(backend, recs) if recs else []
    inside = set(mitigations) | set(recs)
    linked = [t.object for t in [*own, *rec_triples] if t.predicate.value != RDF_TYPE_IRI] + list(chosen)
    summary = [t for t in await summaries(backend, linked) if t.subject not in inside]
    triples = list(dict.fromkeys([*own, *rec_triples, *summary]))
    labels = labels_from(triples)
    descriptions = {
        subject_of(t).value: object_of(t).value
        for t in triples
        if t.predicate.value in (PREFIXES["dcterms"] + "description", PREFIXES["skos"] + "definition")
    }

    numbers = {
        subject_of(t).value: int(object_of(t).value)
        for t in rec_triples
        if t.predicate.value == IOP + "recommendationNumber" and object_of(t).value.isdigit()
    }
    places = sorted(
        {
            t.object
            for t in own
            if t.predicate.value in (IOP + "section", IOP + "describedInBox")
            and isinstance(t.object, ox.NamedNode)
        },
        key=str,
    )
    notations = await section_numbers(backend, places)

    ranked = []
    for iri, matches in found.items():
        mine = [t for t in own if subject_of(t).value == iri]

        def objects(prop: str, mine: list[ox.Triple] = mine) -> list[str]:
            return sorted({object_of(t).value for t in mine if t.predicate.value == prop})

        ranked.append(
            RankedMitigation(
                iri=iri,
                label=labels.get(iri, iri),
                good_practice=any(
                    t.predicate.value == RDF_TYPE_IRI and object_of(t).value == IOP + "GoodPractice"
                    for t in mine
                ),
                matches=sorted(matches, key=lambda m: (-WEIGHTS[m.relation], m.challenge, m.via)),
                recommendations=sorted(objects(IOP + "backedBy"), key=lambda r: (numbers.get(r, 10**6), r)),
                use_cases=objects(IOP + "illustratedBy"),
                sections=[x for x in objects(IOP + "section") if x not in objects(IOP + "describedInBox")],
                boxes=objects(IOP + "describedInBox"),
                description=descriptions.get(iri),
            )
        )
    ranked.sort(key=RankedMitigation.sort_key)
    return Guidance(chosen, ranked, triples, labels, descriptions, numbers, notations)


async def section_numbers(backend: Backend, places: list[ox.NamedNode]) -> dict[str, str]:
    """The report's number of each section, and of the section each box is part of."""
    if not places:
        return {}
    rows = await backend.select(
        f"SELECT ?x ?n WHERE {{ VALUES ?x {{ {values_block(places)} }} "
        f"?x <{PREFIXES['dcterms']}isPartOf>* ?s . ?s <{PREFIXES['skos']}notation> ?n }}"
    )
    found: dict[str, str] = {}
    for r in rows:  # the nearest numbered section is the one with the longest number
        x, n = r["x"].value, r["n"].value
        if len(n) > len(found.get(x, "")):
            found[x] = n
    return found
