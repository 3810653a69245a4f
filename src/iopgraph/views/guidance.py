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

import pyoxigraph as ox

from iopgraph.backend import Backend
from iopgraph.errors import InvalidParameter
from iopgraph.iri import is_slug
from iopgraph.namespaces import CONCEPT, ONTOLOGY, PREFIXES
from iopgraph.views.describe import RDF_TYPE, labels_from, outgoing, summaries, values_block

IOP = ONTOLOGY
CHALLENGE_NS = CONCEPT + "challenge/"
WEIGHTS = {"direct": 3, "narrower": 2, "broader": 1}
MAX_CHALLENGES = 50

_MATCH_QUERY = """PREFIX iop: <{iop}>
PREFIX skos: <{skos}>
SELECT ?selected ?m ?c ?relation WHERE {{
  VALUES ?selected {{ {values} }}
  {{ ?m iop:addresses ?selected . BIND(?selected AS ?c) BIND("direct" AS ?relation) }}
  UNION {{ ?m iop:addresses ?c . ?c skos:broader+ ?selected . BIND("narrower" AS ?relation) }}
  UNION {{ ?m iop:addresses ?c . ?selected skos:broader+ ?c . BIND("broader" AS ?relation) }}
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
        return (-self.covered, -self.strength, -int(self.good_practice), -len(self.recommendations), self.label.lower())


@dataclass
class Guidance:
    challenges: list[ox.NamedNode]
    mitigations: list[RankedMitigation]
    triples: list[ox.Triple]
    labels: dict[str, str]
    descriptions: dict[str, str]

    def ranked(self, prop: str) -> list[tuple[str, int]]:
        """Recommendations or use cases by how many of the ranked mitigations cite them."""
        counts: dict[str, int] = {}
        for m in self.mitigations:
            for iri in getattr(m, prop):
                counts[iri] = counts.get(iri, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], self.labels.get(kv[0], kv[0]).lower()))


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
        elif value.startswith(CHALLENGE_NS) and is_slug(value[len(CHALLENGE_NS):]):
            chosen.append(ox.NamedNode(value))
        else:
            raise InvalidParameter(f"challenge={value!r}: give a challenge slug or its IRI ({CHALLENGE_NS}...)")
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
    rows = await backend.select(_MATCH_QUERY.format(iop=IOP, skos=PREFIXES["skos"], values=values_block(chosen)))
    found: dict[str, list[Match]] = {}
    for row in rows:
        found.setdefault(row["m"].value, []).append(Match(row["selected"].value, row["c"].value, row["relation"].value))
    mitigations = [ox.NamedNode(m) for m in sorted(found)]
    own = await outgoing(backend, mitigations)
    recs = sorted({t.object for t in own if t.predicate.value == IOP + "backedBy"}, key=str)
    rec_triples = await outgoing(backend, recs) if recs else []  # type: ignore[arg-type]
    inside = set(mitigations) | set(recs)
    linked = [t.object for t in [*own, *rec_triples] if t.predicate.value != RDF_TYPE] + list(chosen)
    summary = [t for t in await summaries(backend, linked) if t.subject not in inside]
    triples = list(dict.fromkeys([*own, *rec_triples, *summary]))
    labels = labels_from(triples)
    descriptions = {t.subject.value: t.object.value for t in triples
                    if t.predicate.value in (PREFIXES["dcterms"] + "description", PREFIXES["skos"] + "definition")}

    ranked = []
    for iri, matches in found.items():
        mine = [t for t in own if t.subject.value == iri]

        def objects(prop: str, mine: list[ox.Triple] = mine) -> list[str]:
            return sorted({t.object.value for t in mine if t.predicate.value == prop})

        ranked.append(RankedMitigation(
            iri=iri,
            label=labels.get(iri, iri),
            good_practice=any(t.predicate.value == RDF_TYPE and t.object.value == IOP + "GoodPractice" for t in mine),
            matches=sorted(matches, key=lambda m: (-WEIGHTS[m.relation], m.challenge)),
            recommendations=objects(IOP + "backedBy"),
            use_cases=objects(IOP + "illustratedBy"),
            sections=objects(IOP + "section"),
            boxes=objects(IOP + "describedInBox"),
            description=descriptions.get(iri),
        ))
    ranked.sort(key=RankedMitigation.sort_key)
    return Guidance(chosen, ranked, triples, labels, descriptions)
