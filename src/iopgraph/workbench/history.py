"""A resource's history: its versions in the LDES log, each with who made it (the provenance graph) and a diff.

    entries = await history(backend, log, iri)   # oldest first
    entries[i].added / .removed                  # the triples that version changed
    entries[i].activity, .agent, .operation      # the PROV-O activity of the write (None: built from the files)

The LDES log (:mod:`iopgraph.views.ldes`) holds every version of every resource with its
triples; the provenance graph names the activity (time, agent) of each accepted write.
A version is matched to the latest write that influenced the resource and ended before
the version was recorded (the feed records versions right after the write).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from iopgraph.core.namespaces import PROVENANCE_GRAPH
from iopgraph.store.backend import Backend
from iopgraph.views.ldes import EventLog, Version, sync

ACTIVITIES = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?activity ?time ?agent ?operation WHERE {
  GRAPH PROVENANCE { ?activity prov:influenced RESOURCE ; prov:endedAtTime ?time .
             OPTIONAL { ?activity rdfs:label ?operation }
             OPTIONAL { ?activity prov:wasAssociatedWith/rdfs:label ?agent } }
} ORDER BY ?time
"""


@dataclass(frozen=True)
class Activity:
    iri: str
    time: str
    agent: str
    operation: str


@dataclass
class Entry:
    version: Version
    added: list[ox.Triple]
    removed: list[ox.Triple]
    activity: Activity | None

    @property
    def triples(self) -> list[ox.Triple]:
        return parse(self.version.ntriples)


def parse(text: str) -> list[ox.Triple]:
    parsed: Iterable[ox.Quad] = ox.parse(text.encode("utf-8"), ox.RdfFormat.N_TRIPLES) if text else []
    return [ox.Triple(q.subject, q.predicate, q.object) for q in parsed]


async def activities(backend: Backend, iri: str) -> list[Activity]:
    query = ACTIVITIES.replace("PROVENANCE", str(ox.NamedNode(PROVENANCE_GRAPH))).replace(
        "RESOURCE", str(ox.NamedNode(iri))
    )
    rows = await backend.select(query)
    return [
        Activity(
            r["activity"].value,
            r["time"].value,
            r["agent"].value if "agent" in r else "unknown",
            r["operation"].value if "operation" in r else "write",
        )
        for r in rows
    ]


async def history(backend: Backend, log: EventLog, iri: str) -> list[Entry]:
    """The versions of ``iri``, oldest first, each with its diff to the one before and its activity."""
    await sync(backend, log)
    versions = [v for v in log.versions if v.resource == iri]
    acts = await activities(backend, iri)
    entries: list[Entry] = []
    previous: set[ox.Triple] = set()
    used: set[str] = set()
    for v in versions:
        now = set(parse(v.ntriples))
        # The newest unused write that ended no later than the version was recorded.
        candidates = [a for a in acts if a.iri not in used and a.time <= v.timestamp]
        act = candidates[-1] if candidates else None
        if act is not None:
            used.add(act.iri)
        entries.append(Entry(v, sorted(now - previous, key=str), sorted(previous - now, key=str), act))
        previous = now
    return entries
