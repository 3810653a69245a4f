"""Provenance of writes: one PROV-O activity per accepted write, in the provenance named graph.

    quads = activity_quads(change, agent="steward", started=t0, ended=t1)

Each activity records (queryable at /sparql, graph ``…/graph/provenance``)::

    <…/id/activity/write-20250101t120000z-1a2b3c4d> a prov:Activity ;
        rdfs:label "replace graph via the Graph Store Protocol"@en ;
        prov:startedAtTime "…"^^xsd:dateTime ; prov:endedAtTime "…"^^xsd:dateTime ;
        prov:wasAssociatedWith <…/id/agent/steward> ;
        prov:used <graph IRI> ;                 # each graph the write changed
        prov:influenced <resource> ;            # each subject whose description changed
        iop:triplesAdded 12 ; iop:triplesRemoved 3 .

``prov:influenced`` + ``prov:endedAtTime`` is what a change feed (LDES) reads
to emit a new member version of each changed resource
(:func:`changed_resources_since`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox

from iopgraph.core.iri import mint
from iopgraph.core.namespaces import (
    DEFAULT_GRAPH_IRI,
    ONTOLOGY,
    PREFIXES,
    PROVENANCE_GRAPH,
    RDF_TYPE,
    XSD_DATETIME,
    XSD_INTEGER,
)
from iopgraph.stewardship.changes import Change, is_system_graph

PROV = PREFIXES["prov"]
RDFS_LABEL = ox.NamedNode(PREFIXES["rdfs"] + "label")
TRIPLES_ADDED = ox.NamedNode(ONTOLOGY + "triplesAdded")
TRIPLES_REMOVED = ox.NamedNode(ONTOLOGY + "triplesRemoved")


def _p(local: str) -> ox.NamedNode:
    return ox.NamedNode(PROV + local)


def _time(t: datetime) -> ox.Literal:
    return ox.Literal(t.astimezone(UTC).isoformat().replace("+00:00", "Z"), datatype=XSD_DATETIME)


def _int(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=XSD_INTEGER)


def agent_iri(name: str) -> ox.NamedNode:
    return ox.NamedNode(mint("agent", name))


def changed_resources(change: Change) -> list[ox.NamedNode]:
    """IRIs whose description (triples with them as subject) the change alters."""
    subjects = {
        q.subject
        for q in (*change.remove, *change.add)
        if isinstance(q.subject, ox.NamedNode) and not is_system_graph(q.graph_name)
    }
    return sorted(subjects, key=lambda n: n.value)


@dataclass(frozen=True)
class Activity:
    iri: ox.NamedNode
    quads: list[ox.Quad]


def activity_quads(change: Change, agent: str, started: datetime, ended: datetime | None = None) -> Activity:
    """The PROV-O description of an accepted ``change`` by ``agent``."""
    ended = ended or datetime.now(UTC)
    stamp = started.astimezone(UTC).strftime("%Y%m%dt%H%M%S%fz")
    act = ox.NamedNode(mint("activity", f"write {stamp} {uuid.uuid4().hex[:8]}"))
    who = agent_iri(agent)
    g = ox.NamedNode(PROVENANCE_GRAPH)
    en = "en"
    triples: list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (act, RDF_TYPE, _p("Activity")),
        (
            act,
            RDFS_LABEL,
            ox.Literal(f"{change.operation} ({', '.join(change.graphs) or 'no graph'})", language=en),
        ),
        (act, _p("startedAtTime"), _time(started)),
        (act, _p("endedAtTime"), _time(ended)),
        (act, _p("wasAssociatedWith"), who),
        (act, TRIPLES_ADDED, _int(len(change.add))),
        (act, TRIPLES_REMOVED, _int(len(change.remove))),
        (who, RDF_TYPE, _p("Agent")),
        (who, RDFS_LABEL, ox.Literal(agent, language=en)),
    ]
    for name in change.graphs:
        triples.append((act, _p("used"), ox.NamedNode(DEFAULT_GRAPH_IRI if name == "default" else name)))
    for resource in changed_resources(change):
        triples.append((act, _p("influenced"), resource))
    return Activity(act, [ox.Quad(s, p, o, g) for s, p, o in triples])


CHANGED_SINCE = """
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?resource ?activity ?time ?since ?g WHERE {
  GRAPH ?g { ?activity a prov:Activity ; prov:endedAtTime ?time ; prov:influenced ?resource . }
  FILTER (?time > ?since)
} ORDER BY ?time ?resource
"""


def changed_resources_since(store: ox.Store, since: datetime) -> list[tuple[str, str, str]]:
    """(resource, activity, time) of every write after ``since``: what a change feed reads."""
    result = store.query(
        CHANGED_SINCE,
        substitutions={ox.Variable("since"): _time(since), ox.Variable("g"): ox.NamedNode(PROVENANCE_GRAPH)},
    )
    assert isinstance(result, ox.QuerySolutions)
    return [(s["resource"].value, s["activity"].value, s["time"].value) for s in result]
