"""A Linked Data Event Stream (LDES, TREE) of the graph's resources: every version of every resource.

The log is append-only and persisted as JSON lines beside the store
(``<store_path>.ldes.jsonl``). Each entry is a *member*: a version of one
resource (every IRI subject of the graph), with a timestamp and the resource's
triples at that time. The member's IRI is ``<stream>/version/<n>``; it carries
``dcterms:isVersionOf <resource>`` (the stream's ``ldes:versionOfPath``),
``prov:generatedAtTime`` (its ``ldes:timestampPath``) and the resource's
triples with the version as subject.

Initial members come from the built graph (one per resource). Whenever the
store's version changes, :func:`sync` appends a version for each resource whose
triples changed (or an empty version when it disappeared). A write API can call
:func:`record_versions` right after a write to append the versions of the
resources it touched:

    await record_versions(context.backend, context.ldes, [ox.NamedNode(iri), ...])   # an AppContext

Over a remote store that takes writes (several service processes may share it), the log lives in
the store instead (``RemoteBackend.log_entries``): every request first reads the members other
processes appended (one tiny query when there are none), and members are appended under the store's
write lease, so every process serves the same members with the same numbers and timestamps.

Fragments hold ``page_size`` (setting ``ldes_page_size``) consecutive members of the log, so they are
time-ordered; a full fragment never changes again and is served as immutable.
Fragment ``k`` links to ``k + 1`` with a ``tree:GreaterThanOrEqualToRelation``
on ``prov:generatedAtTime`` whose value is the first timestamp of ``k + 1``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread
import pyoxigraph as ox

from iopgraph.core.namespaces import RDF_TYPE, XSD_DATETIME
from iopgraph.store.backend import Backend
from iopgraph.store.sharing import shared_log_store, write_lease

if TYPE_CHECKING:
    from iopgraph.store.remote import RemoteBackend

PAGE_SIZE = 250
#: The name of the members' log in a remote store.
LOG_NAME = "ldes"
LDES = "https://w3id.org/ldes#"
TREE = "https://w3id.org/tree#"
PROV_TIME = "http://www.w3.org/ns/prov#generatedAtTime"
VERSION_OF = "http://purl.org/dc/terms/isVersionOf"


@dataclass(frozen=True)
class Version:
    seq: int
    resource: str
    timestamp: str  # xsd:dateTime in UTC, e.g. 2026-05-01T10:00:00.123456Z
    digest: str
    ntriples: str  # the resource's triples at that time


class EventLog:
    """The append-only member log, in memory and in a JSON-lines file."""

    def __init__(self, path: Path, page_size: int = PAGE_SIZE) -> None:
        self.path = path
        self.page_size = page_size
        self.versions: list[Version] = []
        self.latest: dict[str, Version] = {}
        self.synced_version: str | None = None
        self.lock = anyio.Lock()
        self.shared = False  # True once it mirrors a log kept in a remote store (nothing written to ``path``)
        if path.exists():
            for line in path.read_text("utf-8").splitlines():
                if line.strip():
                    self._remember(Version(**json.loads(line)))

    def _remember(self, version: Version) -> None:
        self.versions.append(version)
        self.latest[version.resource] = version

    def stamp(self, entries: list[tuple[str, str, str]]) -> list[Version]:
        """The versions that (resource, digest, ntriples) entries become next, with one shared, non-decreasing
        timestamp (not yet in the log)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        stamp = max(now, self.versions[-1].timestamp) if self.versions else now
        return [Version(len(self.versions) + i, r, stamp, d, nt) for i, (r, d, nt) in enumerate(entries)]

    def append(self, entries: list[tuple[str, str, str]]) -> list[Version]:
        """Append (resource, digest, ntriples) entries with one shared, non-decreasing timestamp."""
        if not entries:
            return []
        added = self.stamp(entries)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            for v in added:
                out.write(json.dumps(v.__dict__, ensure_ascii=False) + "\n")
        for v in added:
            self._remember(v)
        return added


def _ntriples(triples: list[ox.Triple]) -> str:
    return "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in sorted(set(triples), key=str))


def _changes(
    log: EventLog, current: dict[str, list[ox.Triple]], only: set[str] | None
) -> list[tuple[str, str, str]]:
    entries = []
    names = set(current) | set(log.latest) if only is None else only
    for resource in sorted(names):
        text = _ntriples(current.get(resource, []))
        digest = hashlib.sha256(text.encode()).hexdigest()
        last = log.latest.get(resource)
        if last is None and not text:
            continue
        if last is None or last.digest != digest:
            entries.append((resource, digest, text))
    return entries


async def _current(backend: Backend, only: list[ox.NamedNode] | None = None) -> dict[str, list[ox.Triple]]:
    if only is not None:
        found: dict[str, list[ox.Triple]] = {r.value: [] for r in only}
        for r in only:
            found[r.value] = await backend.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": r})
        return found
    by_subject: dict[str, list[ox.Triple]] = {}
    for q in await backend.quads():
        if isinstance(q.subject, ox.NamedNode):
            by_subject.setdefault(q.subject.value, []).append(ox.Triple(q.subject, q.predicate, q.object))
    return by_subject


async def _pull(remote: RemoteBackend, log: EventLog) -> None:
    """Bring ``log`` up to the store's log (the members other processes appended)."""
    if not log.shared:  # the first time: the store's log, not the local file's, is the log
        log.versions.clear()
        log.latest.clear()
        log.shared = True
    for text in await remote.log_entries(LOG_NAME, len(log.versions)):
        log._remember(Version(**json.loads(text)))


async def _append(backend: Backend, log: EventLog, only: list[ox.NamedNode] | None) -> list[Version]:
    """Append the changes of ``only`` (None: of every resource); in the store's log when it keeps one."""
    remote = shared_log_store(backend)
    if remote is None:
        current = await _current(backend, only)
        names = None if only is None else {r.value for r in only}
        return log.append(await anyio.to_thread.run_sync(_changes, log, current, names))
    async with write_lease(remote, None):  # one appender among all processes: one numbering
        await _pull(remote, log)
        current = await _current(backend, only)
        names = None if only is None else {r.value for r in only}
        added = log.stamp(await anyio.to_thread.run_sync(_changes, log, current, names))
        if added:
            entries = [json.dumps(v.__dict__, ensure_ascii=False) for v in added]
            await remote.append_log(LOG_NAME, added[0].seq, entries)
        for v in added:
            log._remember(v)
        return added


async def sync(backend: Backend, log: EventLog) -> None:
    """Append a version of every resource that changed since the log last saw the store."""
    async with log.lock:
        remote = shared_log_store(backend)
        if remote is not None:
            await _pull(remote, log)
        if log.synced_version == backend.version:
            return
        version = backend.version
        await _append(backend, log, None)
        log.synced_version = version


async def record_versions(backend: Backend, log: EventLog, resources: list[ox.NamedNode]) -> list[Version]:
    """Append versions of ``resources`` as they are now (for the write API, right after a write)."""
    async with log.lock:
        return await _append(backend, log, resources)


# --- pages --------------------------------------------------------------------------------------------


def stream_iri(base_url: str) -> str:
    return base_url.rstrip("/") + "/ldes"


def fragment_iri(base_url: str, index: int) -> str:
    return f"{stream_iri(base_url)}/fragment/{index}"


def fragment_count(log: EventLog) -> int:
    return max(1, -(-len(log.versions) // log.page_size))


def is_closed(log: EventLog, index: int) -> bool:
    """A fragment is closed (immutable) once a later fragment exists.

    Being full is not enough: the newest fragment, even when full, still gains its
    tree:relation to the next fragment when that one is created, so it must stay
    mutable (and be polled) until then.
    """
    return len(log.versions) > (index + 1) * log.page_size


def stream_triples(base_url: str) -> list[ox.Triple]:
    stream = ox.NamedNode(stream_iri(base_url))
    return [
        ox.Triple(stream, RDF_TYPE, ox.NamedNode(LDES + "EventStream")),
        ox.Triple(stream, ox.NamedNode(LDES + "timestampPath"), ox.NamedNode(PROV_TIME)),
        ox.Triple(stream, ox.NamedNode(LDES + "versionOfPath"), ox.NamedNode(VERSION_OF)),
        ox.Triple(stream, ox.NamedNode(TREE + "view"), ox.NamedNode(fragment_iri(base_url, 0))),
        ox.Triple(
            stream,
            ox.NamedNode("http://purl.org/dc/terms/title"),
            ox.Literal("iopgraph: versions of every resource of the graph", language="en"),
        ),
    ]


def member_iri(base_url: str, version: Version) -> ox.NamedNode:
    return ox.NamedNode(f"{stream_iri(base_url)}/version/{version.seq}")


def member_triples(base_url: str, version: Version) -> list[ox.Triple]:
    member = member_iri(base_url, version)
    triples = [
        ox.Triple(member, ox.NamedNode(VERSION_OF), ox.NamedNode(version.resource)),
        ox.Triple(member, ox.NamedNode(PROV_TIME), ox.Literal(version.timestamp, datatype=XSD_DATETIME)),
    ]
    if version.ntriples:
        for t in ox.parse(version.ntriples.encode(), ox.RdfFormat.N_TRIPLES):
            triples.append(ox.Triple(member, t.predicate, t.object))
    return triples


def fragment_triples(base_url: str, log: EventLog, index: int) -> list[ox.Triple]:
    """The page of fragment ``index``: node, relation to the next fragment, members, stream context."""
    node = ox.NamedNode(fragment_iri(base_url, index))
    stream = ox.NamedNode(stream_iri(base_url))
    triples = [*stream_triples(base_url), ox.Triple(node, RDF_TYPE, ox.NamedNode(TREE + "Node"))]
    size = log.page_size
    members = log.versions[index * size : (index + 1) * size]
    following = log.versions[(index + 1) * size : (index + 1) * size + 1]
    if following:
        relation = ox.BlankNode()
        triples += [
            ox.Triple(node, ox.NamedNode(TREE + "relation"), relation),
            ox.Triple(relation, RDF_TYPE, ox.NamedNode(TREE + "GreaterThanOrEqualToRelation")),
            ox.Triple(relation, ox.NamedNode(TREE + "node"), ox.NamedNode(fragment_iri(base_url, index + 1))),
            ox.Triple(relation, ox.NamedNode(TREE + "path"), ox.NamedNode(PROV_TIME)),
            ox.Triple(
                relation,
                ox.NamedNode(TREE + "value"),
                ox.Literal(following[0].timestamp, datatype=XSD_DATETIME),
            ),
        ]
    for version in members:
        triples.append(ox.Triple(stream, ox.NamedNode(TREE + "member"), member_iri(base_url, version)))
        triples += member_triples(base_url, version)
    return triples
