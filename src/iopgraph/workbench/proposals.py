"""Proposals: changes a proposer submitted, waiting for a publisher; kept in SQLite beside the store.

    box = ProposalBox(path)                          # <store folder>/../<store name>.proposals.sqlite3
    p = box.submit(kind, iri, graph, ntriples, paths, proposer, note)
    box.open()                                       # newest first
    box.decide(p.id, "accepted" | "rejected", reviewer, comment, activity)

A proposal holds the resource's proposed statements (N-Triples) and the form's paths
they replace; it is never in the published graph. Accepting it runs it through the
gate against the graph as it is then (:mod:`iopgraph.workbench.plans`).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

OPEN, ACCEPTED, REJECTED = "open", "accepted", "rejected"
SCHEMA = """
CREATE TABLE IF NOT EXISTS proposal (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, iri TEXT NOT NULL, graph TEXT NOT NULL,
  ntriples TEXT NOT NULL, paths TEXT NOT NULL, proposer TEXT NOT NULL, note TEXT NOT NULL,
  created TEXT NOT NULL, status TEXT NOT NULL, reviewer TEXT, comment TEXT, decided TEXT, activity TEXT
)
"""


@dataclass(frozen=True)
class Proposal:
    id: str
    kind: str
    iri: str
    graph: str
    ntriples: str
    paths: tuple[str, ...] | None  # None: the proposal replaces every statement (a revert)
    proposer: str
    note: str
    created: str
    status: str
    reviewer: str | None
    comment: str | None
    decided: str | None
    activity: str | None

    @property
    def triples(self) -> list[ox.Triple]:
        parsed: Iterable[ox.Quad] = (
            ox.parse(self.ntriples.encode("utf-8"), ox.RdfFormat.N_TRIPLES) if self.ntriples else []
        )
        return [ox.Triple(q.subject, q.predicate, q.object) for q in parsed]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ntriples(triples: list[ox.Triple]) -> str:
    return "".join(f"{t} .\n" for t in sorted(set(triples), key=str))


class ProposalBox:
    """The proposals of one store, in one SQLite file (every call opens and closes its connection)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    @staticmethod
    def _row(row: sqlite3.Row) -> Proposal:
        values = dict(row)
        paths = json.loads(values.pop("paths"))
        return Proposal(paths=None if paths is None else tuple(paths), **values)

    def submit(
        self,
        kind: str,
        iri: str,
        graph: str,
        triples: list[ox.Triple],
        paths: set[str] | None,
        proposer: str,
        note: str = "",
    ) -> Proposal:
        pid = secrets.token_hex(6)
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT INTO proposal (id, kind, iri, graph, ntriples, paths, proposer, note, created, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    pid,
                    kind,
                    iri,
                    graph,
                    ntriples(triples),
                    json.dumps(None if paths is None else sorted(paths)),
                    proposer,
                    note,
                    _now(),
                    OPEN,
                ),
            )
        found = self.get(pid)
        assert found is not None
        return found

    def get(self, pid: str) -> Proposal | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM proposal WHERE id = ?", (pid,)).fetchone()
        return None if row is None else self._row(row)

    def all(self) -> list[Proposal]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM proposal ORDER BY created DESC, id").fetchall()
        return [self._row(r) for r in rows]

    def decide(self, pid: str, status: str, reviewer: str, comment: str, activity: str | None = None) -> bool:
        """Close an open proposal; False when it was not open (decided already, by someone else)."""
        with self._lock, self._connect() as db:
            cursor = db.execute(
                "UPDATE proposal SET status = ?, reviewer = ?, comment = ?, decided = ?, activity = ? "
                "WHERE id = ? AND status = ?",
                (status, reviewer, comment, _now(), activity, pid, OPEN),
            )
            return cursor.rowcount == 1
