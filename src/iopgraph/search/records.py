"""What the search index holds for each resource, read from the store with a few SPARQL queries.

One :class:`Record` per resource (an IRI subject with a label or a text): its
label, alternative labels, definitions/descriptions and verbatim quotes (the
four weighted fields), its types, the report sections it cites (``iop:section``)
and its facet values:

* ``type``: each ``rdf:type`` (``Mitigation``, ``GoodPractice``, ``skos:Concept``, ...);
* ``family``: the challenge family it belongs to, addresses or describes (via ``skos:broader*``);
* ``use-case``: the use cases (``iop:isUseCase true``) it links to, or takes part in;
* ``evidence-basis``: ``iop:evidenceBasis``;
* ``chapter``: the top-level report chapter of the sections it cites (or of itself, for a section or box).

    records = await read_records(backend)                 # every resource
    records = await read_records(backend, [iri1, iri2])   # only these (after a write)

The queries are the same for the embedded store and a remote SPARQL endpoint.
Provenance activities, agents and releases (system graphs) are not indexed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from iopgraph.backend import Backend
from iopgraph.namespaces import ID, ONTOLOGY, PREFIXES, REPORT
from iopgraph.views.labels import label_for

SKOS, RDFS, DCT, RDF = PREFIXES["skos"], PREFIXES["rdfs"], PREFIXES["dcterms"], PREFIXES["rdf"]
IOP = ONTOLOGY

#: Field → predicates, in order of precedence (the first label predicate found is the resource's label).
LABEL = (SKOS + "prefLabel", RDFS + "label", DCT + "title", PREFIXES["foaf"] + "name")
ALT = (SKOS + "altLabel", DCT + "alternative", SKOS + "notation", DCT + "identifier", SKOS + "hiddenLabel")
DEFINITION = (SKOS + "definition", DCT + "description", RDFS + "comment", SKOS + "scopeNote", DCT + "abstract",
              IOP + "technicalDescription", IOP + "measure", IOP + "population", DCT + "bibliographicCitation")
QUOTE = (IOP + "quote",)
FIELDS = {"label": LABEL, "alt": ALT, "definition": DEFINITION, "quote": QUOTE}
_FIELD_OF = {p: name for name, preds in FIELDS.items() for p in preds}

#: Subjects under these IRIs are the service's own records (writes, agents, releases), not content.
SYSTEM_PREFIXES = (ID + "activity/", ID + "agent/", ID + "release/")
FACETS = ("type", "family", "use-case", "evidence-basis", "chapter")
FACET_TITLES = {"type": "Type", "family": "Challenge family", "use-case": "Use case",
                "evidence-basis": "Evidence basis", "chapter": "Report chapter"}


@dataclass
class Record:
    """One resource as the index sees it."""

    iri: str
    label: str = ""
    label_predicate: str = ""
    alt: list[str] = field(default_factory=list)
    definition: list[str] = field(default_factory=list)
    quote: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    kind: str = ""  # the label of its most specific type, for display
    sections: list[tuple[str, str]] = field(default_factory=list)  # (IRI, label) in report order
    facets: list[tuple[str, str, str]] = field(default_factory=list)  # (facet, value key, value label)

    @property
    def has_text(self) -> bool:
        return bool(self.label or self.alt or self.definition or self.quote)


def _values(subjects: list[str] | None, var: str = "r") -> str:
    if subjects is None:
        return ""
    return f"VALUES ?{var} {{ {' '.join(f'<{s}>' for s in subjects)} }}\n"


def _iris(*predicates: str) -> str:
    return " ".join(f"<{p}>" for p in predicates)


def facet_key(iri: str, kind: str) -> str:
    """The short value of a facet (``lack-of-trust``, ``Mitigation``, ``skos:Concept``) used in URLs."""
    if kind == "type":
        if iri.startswith(IOP):
            return iri[len(IOP):]
        for prefix, ns in PREFIXES.items():
            if iri.startswith(ns) and iri[len(ns):]:
                return f"{prefix}:{iri[len(ns):]}"
        return iri
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _is_system(iri: str) -> bool:
    return iri.startswith(SYSTEM_PREFIXES)


async def read_records(backend: Backend, subjects: list[str] | None = None) -> list[Record]:
    """The records of ``subjects`` (all resources when None); subjects without text get none."""
    vals = _values(subjects)
    records: dict[str, Record] = {}
    precedence: dict[str, int] = {}
    text_rows = await backend.select(
        "SELECT DISTINCT ?r ?p ?v WHERE {\n" + vals
        + f"VALUES ?p {{ {_iris(*_FIELD_OF)} }}\n?r ?p ?v .\n"
        "FILTER(isIRI(?r) && isLiteral(?v) && (lang(?v) = '' || langMatches(lang(?v), 'en')))\n}")
    for row in text_rows:
        iri, predicate, value = row["r"].value, row["p"].value, " ".join(row["v"].value.split())
        if _is_system(iri) or not value:
            continue
        record = records.setdefault(iri, Record(iri))
        name = _FIELD_OF[predicate]
        if name == "label":
            rank = LABEL.index(predicate)
            if not record.label or (rank, value) < (precedence[iri], record.label):
                if record.label and record.label != value:
                    record.alt.append(record.label)
                record.label, record.label_predicate, precedence[iri] = value, predicate, rank
            elif value != record.label:
                record.alt.append(value)
        else:
            getattr(record, name).append(value)
    if not records:
        return []
    chosen = sorted(records)
    # Every later query is restricted to the records read (all of them: no VALUES block is needed).
    vals = _values(chosen) if subjects is not None else ""
    for record in records.values():
        record.alt = sorted(set(record.alt) - {record.label})
        record.definition.sort()
        record.quote.sort()

    links: dict[str, list[tuple[str, str]]] = defaultdict(list)  # facet targets by record
    for row in await backend.select(f"SELECT DISTINCT ?r ?t WHERE {{ {vals} ?r <{RDF}type> ?t . FILTER(isIRI(?t)) }}"):
        if row["r"].value in records:
            records[row["r"].value].types.append(row["t"].value)
            links[row["r"].value].append(("type", row["t"].value))

    # Report sections cited, in reading order; the chapter is the section's ancestor just under the report.
    sections: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for row in await backend.select(
            f"SELECT DISTINCT ?r ?s ?o WHERE {{ {vals} {{ ?r <{IOP}section> ?s }} UNION "
            f"{{ ?r <{DCT}isPartOf> ?s . ?s a <{IOP}ReportSection> }} FILTER(isIRI(?s)) "
            f"OPTIONAL {{ ?s <{IOP}order> ?o }} }}"):
        order = float(row["o"].value) if "o" in row else float("inf")
        sections[row["r"].value].append((order, row["s"].value))
    for row in await backend.select(
            f"SELECT DISTINCT ?r ?c WHERE {{ {vals} {{ ?r <{IOP}section> ?s }} UNION "
            f"{{ ?r a ?k . VALUES ?k {{ <{IOP}ReportSection> <{IOP}Box> }} BIND(?r AS ?s) }} "
            f"?s <{DCT}isPartOf>* ?c . ?c <{DCT}isPartOf> <{REPORT}> }}"):
        links[row["r"].value].append(("chapter", row["c"].value))

    # Challenges of each record (itself, what it addresses or describes, the challenges observed in it,
    # the challenges of the mitigations a recommendation backs), then their families.
    challenges: dict[str, set[str]] = defaultdict(set)
    for row in await backend.select(
            f"SELECT DISTINCT ?r ?c WHERE {{ {vals} "
            f"{{ ?r <{IOP}addresses>|<{IOP}describes> ?c }} UNION {{ ?c <{IOP}observedIn> ?r }} UNION "
            f"{{ ?m <{IOP}backedBy> ?r ; <{IOP}addresses> ?c }} UNION {{ ?r <{SKOS}inScheme> ?x . BIND(?r AS ?c) }} "
            f"?c a ?ck . VALUES ?ck {{ <{IOP}ChallengeFamily> <{IOP}ChallengeCluster> <{IOP}SubChallenge> "
            f"<{IOP}ChallengeFactor> <{IOP}Challenge> }} }}"):
        challenges[row["r"].value].add(row["c"].value)
    all_challenges = sorted({c for cs in challenges.values() for c in cs})
    family_of: dict[str, set[str]] = defaultdict(set)
    if all_challenges:
        for row in await backend.select(
                f"SELECT DISTINCT ?c ?f WHERE {{ {_values(all_challenges, 'c')} ?c <{SKOS}broader>* ?f . "
                f"?f a <{IOP}ChallengeFamily> }}"):
            family_of[row["c"].value].add(row["f"].value)
    for iri, cs in challenges.items():
        for family in sorted({f for c in cs for f in family_of[c]}):
            links[iri].append(("family", family))

    for row in await backend.select(
            f"SELECT DISTINCT ?r ?u WHERE {{ {vals} {{ ?u <{IOP}isUseCase> true . BIND(?u AS ?r) }} UNION "
            f"{{ ?u <{IOP}isUseCase> true . ?r ?p ?u }} UNION "
            f"{{ ?u <{IOP}isUseCase> true . ?x <{IOP}participationIn> ?u ; <{IOP}participant> ?r }} }}"):
        links[row["r"].value].append(("use-case", row["u"].value))
    for row in await backend.select(
            f"SELECT DISTINCT ?r ?b WHERE {{ {vals} ?r <{IOP}evidenceBasis> ?b . FILTER(isIRI(?b)) }}"):
        links[row["r"].value].append(("evidence-basis", row["b"].value))

    # Labels of the sections and facet values (which need not be among the records read).
    targets = sorted({t for iri, ls in links.items() if iri in records for _, t in ls}
                     | {s for iri, ss in sections.items() if iri in records for _, s in ss})
    labels = await _labels(backend, targets)
    for iri, cited in sections.items():
        if iri not in records:
            continue
        records[iri].sections = [(s, labels.get(s) or label_for(s, labels)) for _, s in sorted(set(cited))]
    for iri, found in links.items():
        if iri not in records:
            continue
        record = records[iri]
        record.facets = sorted({(name, facet_key(t, name), labels.get(t) or label_for(t, labels))
                                for name, t in found})
    for record in records.values():
        record.kind = _kind(record.types, labels)
    return [records[iri] for iri in chosen if records[iri].has_text]


async def _labels(backend: Backend, iris: list[str]) -> dict[str, str]:
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(iris), 2000):
        chunk = iris[start:start + 2000]
        for row in await backend.select(
                f"SELECT DISTINCT ?x ?p ?l WHERE {{ {_values(chunk, 'x')} VALUES ?p {{ {_iris(*LABEL)} }} ?x ?p ?l . "
                "FILTER(lang(?l) = '' || langMatches(lang(?l), 'en')) }"):
            key = (LABEL.index(row["p"].value), row["l"].value)
            iri = row["x"].value
            if iri not in found or key < found[iri]:
                found[iri] = key
    return {iri: value for iri, (_, value) in found.items()}


#: Types shown in preference to the others a resource also has (the more specific or the more telling).
_GENERIC = {SKOS + "Concept", PREFIXES["owl"] + "NamedIndividual", IOP + "Challenge",
            DCT + "BibliographicResource", PREFIXES["org"] + "Organization"}


def _kind(types: list[str], labels: dict[str, str]) -> str:
    if not types:
        return ""
    specific = sorted(t for t in types if t not in _GENERIC) or sorted(types)
    return labels.get(specific[0]) or label_for(specific[0], labels)


def as_text(values: list[str]) -> str:
    """A multi-valued field as one FTS5 column (values apart, so a phrase never spans two)."""
    return "\n\u2029\n".join(values)

