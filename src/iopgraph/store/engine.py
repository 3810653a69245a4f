"""Run one query on a pyoxigraph store and serialise the result, capped at ``max_results``.

This is the hot path, executed inside the query worker processes. Everything
stays in Oxigraph's own code: evaluation, and serialisation with its own
writers. SELECT results are written as TSV first (a format whose rows are
exactly its lines, so the cap is found by counting newlines and evaluation stops
as soon as the cap is passed); other result formats are converted from it by
Oxigraph's parser and writer.

    outcome = execute(store, QueryJob(query="SELECT * { ?s ?p ?o }", form="SELECT",
                                      media_type="text/csv", max_results=100))
    outcome.body, outcome.truncated, outcome.count
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from iopgraph.core.media_types import TSV, syntax_for_media_type
from iopgraph.core.namespaces import PREFIXES
from iopgraph.query.binding import parse_term
from iopgraph.query.formats import RESULT_FORMATS


@dataclass
class QueryJob:
    """Everything a worker needs to answer one query (JSON-serialisable)."""

    query: str
    form: str
    media_type: str
    max_results: int
    union_default_graph: bool = True
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    substitutions: dict[str, str] = field(default_factory=dict)  # variable → N-Triples term
    base_iri: str | None = None
    max_bytes: int = 0  # most bytes of serialised result (0: no cap); cut at a row boundary

    def to_header(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_header(cls, header: dict[str, Any]) -> QueryJob:
        return cls(**{k: v for k, v in header.items() if k in cls.__dataclass_fields__})


@dataclass
class Outcome:
    body: bytes
    count: int
    truncated: bool
    cut: str = "rows"  # what cut a truncated result: "rows" (max_results) or "bytes" (max_bytes)


class _CapReached(Exception):
    pass


class _CappedTsv:
    """A binary writer that keeps TSV output up to ``max_rows`` rows (and ``max_bytes``), then stops the writer."""

    def __init__(self, max_rows: int, max_bytes: int = 0) -> None:
        self.limit_lines = max_rows + 1  # the header line + rows
        self.max_bytes = max_bytes
        self.parts: list[bytes] = []
        self.lines = 0
        self.size = 0
        self.truncated = False
        self.cut = "rows"

    def write(self, data: bytes) -> int:
        newlines = data.count(b"\n")
        if self.max_bytes and self.size + len(data) > self.max_bytes:
            # Keep whole lines only, up to the byte cap, then stop evaluation.
            room = data[: max(self.max_bytes - self.size, 0)]
            end = room.rfind(b"\n")
            kept = bytes(room[: end + 1]) if end >= 0 else b""
            if self.lines == 0 and not kept:  # always keep the header line
                first = data.find(b"\n")
                kept = bytes(data[: first + 1]) if first >= 0 else b""
            kept_lines = kept.count(b"\n")
            if self.lines + kept_lines <= self.limit_lines:
                self.parts.append(kept)
                self.lines += kept_lines
                self.truncated, self.cut = True, "bytes"
                raise _CapReached
        if self.lines + newlines <= self.limit_lines:
            self.parts.append(bytes(data))
            self.lines += newlines
            self.size += len(data)
            return len(data)
        # Keep exactly up to the end of the last allowed line, then stop evaluation.
        keep = self.limit_lines - self.lines
        cut = -1
        for _ in range(keep):
            cut = data.index(b"\n", cut + 1)
        self.parts.append(bytes(data[: cut + 1]))
        self.lines = self.limit_lines
        self.truncated = True
        raise _CapReached

    def flush(self) -> None:
        pass


def _run(store: ox.Store, job: QueryJob) -> Any:
    kwargs: dict[str, Any] = {"base_iri": job.base_iri}
    if job.substitutions:
        kwargs["substitutions"] = {ox.Variable(k): parse_term(v) for k, v in job.substitutions.items()}
    if job.default_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    elif job.union_default_graph:
        kwargs["use_default_graph_as_union"] = True
    if job.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    return store.query(job.query, **kwargs)


def execute(store: ox.Store, job: QueryJob) -> Outcome:
    """Evaluate ``job`` on ``store``; raises SyntaxError for a malformed query."""
    result = _run(store, job)
    if isinstance(result, ox.QueryBoolean):
        return Outcome(result.serialize(format=RESULT_FORMATS[job.media_type]) or b"", 1, False)
    if isinstance(result, ox.QuerySolutions):
        return solutions_outcome(result, job.media_type, job.max_results, job.max_bytes)
    triples: list[ox.Triple] = []
    truncated, cut, size = False, "rows", 0
    for triple in result:
        if len(triples) >= job.max_results:
            truncated = True
            break
        size += len(str(triple))
        if job.max_bytes and size > job.max_bytes:
            cut = "bytes"
            truncated = True
            break
        triples.append(triple)
    body = serialize_triples(triples, job.media_type)
    while job.max_bytes and len(body) > job.max_bytes and triples:
        triples = triples[: len(triples) * job.max_bytes // len(body) * 9 // 10]
        body, truncated, cut = serialize_triples(triples, job.media_type), True, "bytes"
    return Outcome(body, len(triples), truncated, cut)


def solutions_outcome(
    result: ox.QuerySolutions, media_type: str, max_results: int, max_bytes: int = 0
) -> Outcome:
    """Serialise solutions in ``media_type``, keeping at most ``max_results`` rows and ``max_bytes`` bytes."""
    writer = _CappedTsv(max_results, max_bytes)
    try:
        # pyoxigraph writes to any object with write(bytes); its stub asks for IO[bytes].
        result.serialize(writer, format=ox.QueryResultsFormat.TSV)  # type: ignore[arg-type]
    except _CapReached:
        pass
    tsv = b"".join(writer.parts)
    if writer.cut == "bytes":  # a line may have been written in pieces: end at the last whole line
        tsv = tsv[: tsv.rfind(b"\n") + 1]
    return tsv_outcome(tsv, media_type, writer.truncated, max(tsv.count(b"\n") - 1, 0), writer.cut, max_bytes)


def tsv_outcome(
    tsv: bytes, media_type: str, truncated: bool, count: int, cut: str = "rows", max_bytes: int = 0
) -> Outcome:
    """Convert a TSV result to ``media_type``; if the conversion outgrows ``max_bytes``, drop rows until it fits."""
    if media_type == TSV:
        return Outcome(tsv, count, truncated, cut)
    while True:
        converted = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
        assert isinstance(converted, ox.QuerySolutions)
        body = converted.serialize(format=RESULT_FORMATS[media_type]) or b""
        if not max_bytes or len(body) <= max_bytes or count == 0:
            return Outcome(body, count, truncated, cut)
        # The target format is larger than TSV: keep a proportional share of the rows and try again.
        lines = tsv.split(b"\n")
        count = min(count - 1, count * max_bytes // len(body) * 9 // 10)
        tsv = b"\n".join(lines[: count + 1]) + b"\n"
        truncated, cut = True, "bytes"


def serialize_triples(triples: list[ox.Triple], media_type: str) -> bytes:
    syntax = syntax_for_media_type(media_type)
    if syntax is None:
        raise ValueError(f"not an RDF media type: {media_type}")
    prefixes = used_prefixes(triples) if syntax.name in ("turtle", "trig", "rdf-xml") else None
    return ox.serialize(triples, format=syntax.format, prefixes=prefixes) or b""


def used_prefixes(triples: list[ox.Triple]) -> dict[str, str]:
    """The project prefixes whose namespace occurs in ``triples`` (so output declares only those)."""
    iris = {
        t.value
        for triple in triples
        for t in (triple.subject, triple.predicate, triple.object)
        if isinstance(t, ox.NamedNode)
    }
    for triple in triples:
        if isinstance(triple.object, ox.Literal):
            iris.add(triple.object.datatype.value)
    return {p: ns for p, ns in PREFIXES.items() if any(iri.startswith(ns) for iri in iris)}
