"""The store-side version and write lease that let several service processes share one remote store.

The store's system graph :data:`SYSTEM_GRAPH` holds

* ``<store> iop:version "…"`` and ``<store> iop:modified "…"^^xsd:dateTime``: changed by the same
  SPARQL Update as every write (:func:`guarded_update`), read by :class:`VersionReader` with one tiny
  query per request, so every process keys its ETags and caches on the same value;
* ``<lock> iop:holder "<expiry ms> <token>"``: the write lease (see ``RemoteBackend.lease``);
* shared append-only logs (the LDES members): ``<log-NAME> iop:count n`` and one
  ``<log-NAME-i> iop:entry "…"`` per entry, appended under the lease (:func:`append_entries`).

Everything here is standard SPARQL 1.1 (the same text runs on Oxigraph and Virtuoso).

    reader = VersionReader("http://127.0.0.1:7878/query", timeout=1.0)
    state = reader.read()          # StoreState(values=("3f2a…",), modified=datetime(…)) or None on failure
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox

#: The named graph of the service's own bookkeeping in a remote store (hidden from dumps and graph lists).
SYSTEM_GRAPH = "urn:x-iopgraph:system"
STORE = "<urn:x-iopgraph:system#store>"
LOCK = "<urn:x-iopgraph:system#write-lock>"
VERSION = "<urn:x-iopgraph:system#version>"
MODIFIED = "<urn:x-iopgraph:system#modified>"
HOLDER = "<urn:x-iopgraph:system#holder>"
COUNT = "<urn:x-iopgraph:system#count>"
INDEX = "<urn:x-iopgraph:system#index>"
ENTRY = "<urn:x-iopgraph:system#entry>"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"

VERSION_QUERY = f"SELECT ?v ?m WHERE {{ GRAPH <{SYSTEM_GRAPH}> {{ {STORE} {VERSION} ?v . OPTIONAL {{ {STORE} {MODIFIED} ?m }} }} }}"
HOLDERS_QUERY = f"SELECT ?h WHERE {{ GRAPH <{SYSTEM_GRAPH}> {{ {LOCK} {HOLDER} ?h }} }}"


@dataclass(frozen=True)
class StoreState:
    """The version triple(s) the store holds (normally one; none before the first write) and their time."""

    values: tuple[str, ...]
    modified: datetime | None

    @property
    def version(self) -> str | None:
        """One string for the values (None when the store has no version yet)."""
        return "+".join(self.values) if self.values else None


def literal(text: str) -> str:
    return str(ox.Literal(text))


def holder_statement(holder: str) -> str:
    return f"GRAPH <{SYSTEM_GRAPH}> {{ {LOCK} {HOLDER} {literal(holder)} }}"


def take_lease(holder: str) -> str:
    return f"INSERT DATA {{ {holder_statement(holder)} }}"


def drop_leases(holders: list[str]) -> str:
    return "DELETE DATA { " + " ".join(holder_statement(h) for h in holders) + " }"


def _condition(expected: StoreState, holder: str) -> str:
    """The WHERE of a write: the version is exactly ``expected`` and ``holder`` still holds the lease."""
    parts = [f"{LOCK} {HOLDER} {literal(holder)} ."]
    parts += [f"{STORE} {VERSION} {literal(v)} ." for v in expected.values]
    others = ", ".join(literal(v) for v in expected.values)
    unexpected = f"FILTER(?other NOT IN ({others}))" if others else ""
    return (
        f"GRAPH <{SYSTEM_GRAPH}> {{ {' '.join(parts)} }} "
        f"FILTER NOT EXISTS {{ GRAPH <{SYSTEM_GRAPH}> {{ {STORE} {VERSION} ?other {unexpected} }} }}"
    )


def guarded_update(expected: StoreState, holder: str, new: str, now: datetime, remove: str, add: str) -> str:
    """One SPARQL Update: swap the version ``expected`` → ``new`` (only while ``holder`` holds the lease),
    then remove and add the quads (``GRAPH … { … }`` blocks), each only if the swap happened."""
    stamp = f'"{now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}"^^<{XSD_DATETIME}>'
    mine = f"GRAPH <{SYSTEM_GRAPH}> {{ {STORE} {VERSION} {literal(new)} }}"
    old = " ".join(f"{STORE} {VERSION} {literal(v)} ." for v in expected.values)
    parts = [
        f"DELETE {{ GRAPH <{SYSTEM_GRAPH}> {{ {old} {STORE} {MODIFIED} ?m }} }} "
        f"INSERT {{ GRAPH <{SYSTEM_GRAPH}> {{ {STORE} {VERSION} {literal(new)} . {STORE} {MODIFIED} {stamp} }} }} "
        f"WHERE {{ {_condition(expected, holder)} OPTIONAL {{ GRAPH <{SYSTEM_GRAPH}> {{ {STORE} {MODIFIED} ?m }} }} }}"
    ]
    if remove:
        parts.append(f"DELETE {{ {remove} }} WHERE {{ {mine} }}")
    if add:
        parts.append(f"INSERT {{ {add} }} WHERE {{ {mine} }}")
    return " ;\n".join(parts)


def log_node(name: str, index: int | None = None) -> str:
    suffix = "" if index is None else f"-{index}"
    return f"<urn:x-iopgraph:system#log-{urllib.parse.quote(name, safe='')}{suffix}>"


def log_count_query(name: str) -> str:
    return f"SELECT ?n WHERE {{ GRAPH <{SYSTEM_GRAPH}> {{ {log_node(name)} {COUNT} ?n }} }}"


def log_entries_query(name: str, indexes: range) -> str:
    """The entries ``indexes`` of log ``name``: bound subjects, so index lookups whatever the log's length."""
    nodes = " ".join(log_node(name, i) for i in indexes)
    return f"SELECT ?i ?e WHERE {{ VALUES ?m {{ {nodes} }} GRAPH <{SYSTEM_GRAPH}> {{ ?m {INDEX} ?i ; {ENTRY} ?e }} }}"


def append_entries(name: str, start: int, entries: list[str]) -> str:
    """Add ``entries`` at ``start`` … and move the count (run under the write lease: one appender)."""
    node = log_node(name)
    data = " ".join(
        f"{log_node(name, start + i)} {INDEX} {start + i} ; {ENTRY} {literal(e)} ."
        for i, e in enumerate(entries)
    )
    # DELETE WHERE, then INSERT DATA: Virtuoso finds no solution for a WHERE of one OPTIONAL that does not match.
    return (
        f"DELETE WHERE {{ GRAPH <{SYSTEM_GRAPH}> {{ {node} {COUNT} ?c }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{SYSTEM_GRAPH}> {{ {data} {node} {COUNT} {start + len(entries)} . }} }}"
    )


def parse_state(body: bytes) -> StoreState:
    """The :class:`StoreState` in a SPARQL JSON answer to :data:`VERSION_QUERY`."""
    rows = json.loads(body)["results"]["bindings"]
    values = tuple(sorted({row["v"]["value"] for row in rows if "v" in row}))
    times = [row["m"]["value"] for row in rows if "m" in row]
    modified = None
    if times:
        try:
            modified = datetime.fromisoformat(max(times).replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            modified = None
    return StoreState(values, modified)


class VersionReader:
    """Reads the store's version with one small query over a kept-alive connection (blocking; ~0.2 ms on
    loopback). Blocking on purpose: ``Backend.version`` is a property read on the request path."""

    def __init__(self, query_url: str, timeout: float) -> None:
        parts = urllib.parse.urlsplit(query_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._https else 80)
        self._path = parts.path or "/"
        if parts.query:
            self._path += "?" + parts.query
        self.timeout = timeout
        self._lock = threading.Lock()
        self._connection: http.client.HTTPConnection | None = None
        self._body = urllib.parse.urlencode({"query": VERSION_QUERY})

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._connection = kind(self._host, self._port, timeout=self.timeout)
        return self._connection

    def read(self) -> StoreState:
        """The store's state; raises OSError / http.client.HTTPException / ValueError on failure."""
        with self._lock:
            for attempt in (0, 1):  # a kept-alive connection the store closed meanwhile: one reconnect
                connection = self._connect()
                try:
                    connection.request(
                        "POST",
                        self._path,
                        self._body,
                        {
                            "Content-Type": "application/x-www-form-urlencoded",
                            "Accept": "application/sparql-results+json",
                        },
                    )
                    response = connection.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    self.close()
                    if attempt or isinstance(exc, TimeoutError):  # a store that hangs costs one timeout
                        raise
                    continue
                if response.status >= 400:
                    raise ValueError(f"the store answered {response.status} to the version query")
                return parse_state(body)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
