"""The full-text index: SQLite FTS5 (standard library), one file beside the store.

Tables:

* ``doc``: one row per resource (IRI, label, its case-folded form for exact
  matches, kind, cited sections);
* ``fts`` (FTS5, ``porter unicode61`` tokenizer: English stemming, diacritics
  folded): the four weighted fields label, alt, definition, quote; ranked with
  FTS5's ``bm25()`` with column weights 10 > 5 > 2 > 1;
* ``words`` (FTS5, no stemming): the same fields, so that a hit with the very
  words typed ranks above one that only shares their stems;
* ``names`` (FTS5, no stemming, prefix indexes): labels and alternative labels,
  for suggestions as the user types;
* ``facet``: (resource, facet, value, label) rows, for filters and counts;
* ``meta``: the digest of the records the index was built from and, when known, the key of the
  store content they were read from (:attr:`SearchIndex.store_key`).

Ranking is FTS5's: an exact (case-folded) label match first, then the sum of the
stemmed and the unstemmed bm25. All
statements bind their parameters; the MATCH text comes from
:func:`iopgraph.search.query.parse` only. One connection, used under a lock
from worker threads (reads take well under a millisecond to a few ms).

    index = SearchIndex(path)                    # or SearchIndex(None): in memory
    index.rebuild(records, digest)
    page = index.search(parse("trust"), {"type": ["Mitigation"]}, offset=0, limit=20)
    index.suggest(parse("tru", prefix_last=True), limit=8)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from iopgraph.search.query import ParsedQuery, normalise
from iopgraph.search.records import FACETS, Record, as_text

SCHEMA_VERSION = "3"
WEIGHTS = (10.0, 5.0, 2.0, 1.0)  # label, alt, definition, quote
OPEN, CLOSE = "\x02", "\x03"  # highlight markers (control characters never indexed)
FIELD_NAMES = ("label", "alt", "definition", "quote")
#: Facet counts are exact up to this many hits; above it they count the best-ranked FACET_SAMPLE hits
#: (so that a query matching most of a large graph stays fast).
FACET_SAMPLE = 1000
_BM25 = "bm25(fts, " + ", ".join(map(str, WEIGHTS)) + ")"
#: The same fields unstemmed: a hit with the very words typed adds this bm25 to its stemmed one.
_EXACT = (
    "LEFT JOIN (SELECT rowid AS id, bm25(words, " + ", ".join(map(str, WEIGHTS)) + ") AS score "
    "FROM words WHERE words MATCH ?) AS same ON same.id = fts.rowid"
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS doc(id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, label TEXT NOT NULL,
    norm TEXT NOT NULL, kind TEXT NOT NULL, sections TEXT NOT NULL, label_predicate TEXT NOT NULL,
    types TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS doc_norm ON doc(norm);
CREATE TABLE IF NOT EXISTS facet(doc INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, label TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS facet_value ON facet(name, value, doc);
CREATE INDEX IF NOT EXISTS facet_doc ON facet(doc);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5({", ".join(FIELD_NAMES)},
    tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5({", ".join(FIELD_NAMES)},
    tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS names USING fts5(label, alt,
    tokenize='unicode61 remove_diacritics 2', prefix='1 2 3 4');
"""


@dataclass(frozen=True)
class Hit:
    """One search result: where it matched (``field``), with the matching words between markers."""

    iri: str
    label: str  # with OPEN/CLOSE markers around matched words
    kind: str
    sections: list[tuple[str, str]]
    field: str  # label, alt, definition or quote: the field the snippet comes from
    snippet: str  # with OPEN/CLOSE markers; "" when only the label matched
    exact: bool
    label_predicate: str = ""
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchPage:
    hits: list[Hit]
    total: int
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    counted: int = 0  # the facet counts are over this many best hits (all of them up to FACET_SAMPLE)


@dataclass(frozen=True)
class Suggestion:
    iri: str
    label: str
    kind: str


def _clean(text: str) -> str:
    return text.replace(OPEN, " ").replace(CLOSE, " ")


class SearchIndex:
    """The index file (or an in-memory index when ``path`` is None)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            str(path) if path else ":memory:", check_same_thread=False, isolation_level=None
        )
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            if self._meta("schema") not in (None, SCHEMA_VERSION):
                self._db.executescript(
                    "DROP TABLE IF EXISTS doc; DROP TABLE IF EXISTS facet; "
                    "DROP TABLE IF EXISTS fts; DROP TABLE IF EXISTS names; DROP TABLE IF EXISTS meta;"
                )
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- state -----------------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None
        return None if row is None else str(row[0])

    @property
    def digest(self) -> str | None:
        """The digest of the records the index was last built from (None: never, or changed since)."""
        with self._lock:
            return self._meta("digest")

    @property
    def store_key(self) -> str | None:
        """The store content (and records code) the index was built from, if known (None: never, or changed)."""
        with self._lock:
            return self._meta("store_key")

    def mark_store(self, store_key: str) -> None:
        """Record that the index, as it is, holds the records of the store content ``store_key``."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('store_key', ?)", (store_key,))

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM doc").fetchone()[0])

    # -- writing ---------------------------------------------------------------------------------

    def rebuild(self, records: list[Record], digest: str | None) -> None:
        """Replace the whole index by ``records`` in one transaction."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for table in ("doc", "facet", "fts", "words", "names"):
                    self._db.execute(f"DELETE FROM {table}")
                self._insert(records)
                self._set_digest(digest)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def update(self, iris: list[str], records: list[Record]) -> None:
        """Re-index the resources ``iris`` (one transaction): their old rows go, ``records`` come in.

        A resource of ``iris`` without a record (it was deleted, or lost its text) leaves the index.
        The index no longer matches a build digest afterwards (writes are not part of the sources).
        """
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._delete(sorted(set(iris) | {r.iri for r in records}))
                self._insert(records)
                self._set_digest(None)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _set_digest(self, digest: str | None) -> None:
        self._db.execute("DELETE FROM meta WHERE key = 'store_key'")  # set again by mark_store, if known
        if digest is None:
            self._db.execute("DELETE FROM meta WHERE key = 'digest'")
        else:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('digest', ?)", (digest,))

    def _delete(self, iris: list[str]) -> None:
        for start in range(0, len(iris), 500):
            chunk = iris[start : start + 500]
            marks = ",".join("?" * len(chunk))
            ids = [row[0] for row in self._db.execute(f"SELECT id FROM doc WHERE iri IN ({marks})", chunk)]
            if not ids:
                continue
            id_marks = ",".join("?" * len(ids))
            for table, column in (
                ("doc", "id"),
                ("facet", "doc"),
                ("fts", "rowid"),
                ("words", "rowid"),
                ("names", "rowid"),
            ):
                self._db.execute(f"DELETE FROM {table} WHERE {column} IN ({id_marks})", ids)

    def _insert(self, records: list[Record]) -> None:
        first = int(self._db.execute("SELECT coalesce(max(id), 0) FROM doc").fetchone()[0]) + 1
        docs, texts, names, facets = [], [], [], []
        for rowid, record in enumerate(records, start=first):
            label = _clean(record.label) or record.iri.rstrip("/#").rsplit("/", 1)[-1]
            docs.append(
                (
                    rowid,
                    record.iri,
                    label,
                    normalise(label),
                    record.kind,
                    json.dumps(record.sections),
                    record.label_predicate,
                    json.dumps(sorted(record.types)),
                )
            )
            alt = _clean(as_text(record.alt))
            texts.append(
                (rowid, label, alt, _clean(as_text(record.definition)), _clean(as_text(record.quote)))
            )
            names.append((rowid, label, alt))
            facets += [(rowid, name, value, text) for name, value, text in record.facets]
        db = self._db
        db.executemany(
            "INSERT INTO doc(id, iri, label, norm, kind, sections, label_predicate, types) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            docs,
        )
        db.executemany("INSERT INTO fts(rowid, label, alt, definition, quote) VALUES (?, ?, ?, ?, ?)", texts)
        db.executemany(
            "INSERT INTO words(rowid, label, alt, definition, quote) VALUES (?, ?, ?, ?, ?)", texts
        )
        db.executemany("INSERT INTO names(rowid, label, alt) VALUES (?, ?, ?)", names)
        db.executemany("INSERT INTO facet VALUES (?, ?, ?, ?)", facets)

    # -- reading ---------------------------------------------------------------------------------

    @staticmethod
    def _filter_sql(filters: dict[str, list[str]], column: str) -> tuple[str, list[str]]:
        parts, params = [], []
        for name in FACETS:
            values = filters.get(name)
            if values:
                parts.append(
                    f" AND {column} IN (SELECT doc FROM facet WHERE name = ? AND value IN "
                    f"({','.join('?' * len(values))}))"
                )
                params += [name, *values]
        return "".join(parts), params

    def search(
        self, query: ParsedQuery, filters: dict[str, list[str]], offset: int, limit: int
    ) -> SearchPage:
        """A page of hits for ``query`` (or, with no words, every resource the filters keep, by label)."""
        if query.typed and not query.match:
            return SearchPage([], 0, {name: [] for name in FACETS}, 0)  # only symbols typed: nothing has them
        where, params = self._filter_sql(filters, "doc.id")
        with self._lock:
            db = self._db
            if query.match:
                args: list[object] = [query.match, *params]
                total = int(
                    db.execute(
                        f"SELECT count(*) FROM fts JOIN doc ON doc.id = fts.rowid WHERE fts MATCH ?{where}",
                        args,
                    ).fetchone()[0]
                )
                ranked = [
                    row[0]
                    for row in db.execute(
                        f"SELECT doc.id FROM fts JOIN doc ON doc.id = fts.rowid {_EXACT} WHERE fts MATCH ?{where} "
                        f"ORDER BY (doc.norm = ?) DESC, {_BM25} + coalesce(same.score, 0), doc.label LIMIT ?",
                        [query.match, *args, query.normalised, max(FACET_SAMPLE, offset + limit)],
                    )
                ]
            else:
                args = list(params)
                total = int(db.execute(f"SELECT count(*) FROM doc WHERE 1{where}", args).fetchone()[0])
                ranked = [
                    row[0]
                    for row in db.execute(
                        f"SELECT doc.id FROM doc WHERE 1{where} ORDER BY doc.norm, doc.iri LIMIT ?",
                        [*args, max(FACET_SAMPLE, offset + limit)],
                    )
                ]
            hits = self._hits(ranked[offset : offset + limit], query)
            sample = ranked[:FACET_SAMPLE]
            counts = (
                db.execute(
                    f"SELECT name, value, label, count(*) FROM facet WHERE doc IN ({','.join('?' * len(sample))}) "
                    "GROUP BY name, value ORDER BY name, count(*) DESC, label",
                    sample,
                ).fetchall()
                if sample
                else []
            )
        facets: dict[str, list[FacetValue]] = {name: [] for name in FACETS}
        for name, value, label, n in counts:
            facets[name].append(FacetValue(value, label, int(n), value in filters.get(name, [])))
        return SearchPage(hits, total, facets, min(total, FACET_SAMPLE))

    def initials(self, filters: dict[str, list[str]]) -> list[tuple[str, int]]:
        """(first letter of the label, how many labels before it) of what the filters keep, in label order:
        the A–Z index of a browsed list (the position gives the page each letter starts on)."""
        where, params = self._filter_sql(filters, "doc.id")
        with self._lock:
            rows = self._db.execute(
                f"SELECT upper(substr(norm, 1, 1)), count(*) FROM doc WHERE 1{where} "
                "GROUP BY substr(norm, 1, 1) ORDER BY substr(norm, 1, 1)",
                params,
            ).fetchall()
        found, before = [], 0
        for letter, n in rows:
            found.append((str(letter), before))
            before += int(n)
        return found

    def _hits(self, ids: list[int], query: ParsedQuery) -> list[Hit]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        docs = {
            row[0]: row
            for row in self._db.execute(
                f"SELECT id, iri, label, norm, kind, sections, label_predicate, types FROM doc WHERE id IN ({marks})",
                ids,
            )
        }
        marked: dict[int, tuple[str, ...]] = {}
        if query.match:
            snippets = ", ".join(f"snippet(fts, {i}, '{OPEN}', '{CLOSE}', '…', 28)" for i in (1, 2, 3))
            for row in self._db.execute(
                f"SELECT rowid, highlight(fts, 0, '{OPEN}', '{CLOSE}'), {snippets} FROM fts "
                f"WHERE fts MATCH ? AND rowid IN ({marks})",
                [query.match, *ids],
            ):
                marked[row[0]] = row[1:]
        hits = []
        for doc_id in ids:
            _, iri, label, norm, kind, sections, label_predicate, types = docs[doc_id]
            found = marked.get(doc_id)
            where, snippet = "label", ""
            if found:
                label = found[0]
                for name, text in zip(FIELD_NAMES[1:], found[1:], strict=True):
                    if OPEN in text:
                        where, snippet = name, text
                        break
            hits.append(
                Hit(
                    iri,
                    label,
                    kind,
                    [tuple(s) for s in json.loads(sections)],
                    where,
                    snippet,
                    bool(query.match) and norm == query.normalised,
                    label_predicate,
                    tuple(json.loads(types)),
                )
            )
        return hits

    def suggest(self, query: ParsedQuery, limit: int) -> list[Suggestion]:
        """Labels matching as the user types: labels starting with the text first, then by relevance."""
        if not query.match:
            return []
        with self._lock:
            rows = self._db.execute(
                "SELECT doc.iri, doc.label, doc.kind FROM names JOIN doc ON doc.id = names.rowid "
                "WHERE names MATCH ? ORDER BY (substr(doc.norm, 1, ?) = ?) DESC, bm25(names, 5.0, 1.0), "
                "length(doc.label), doc.label LIMIT ?",
                (query.match, len(query.normalised), query.normalised, limit),
            ).fetchall()
        return [Suggestion(iri, label, kind) for iri, label, kind in rows]
