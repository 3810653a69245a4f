"""A :class:`~iopgraph.backend.Backend` over any SPARQL 1.1 endpoint (remote-store mode).

Set ``IOPGRAPH_STORE_URL`` (and ``IOPGRAPH_STORE_UPDATE_URL`` for writes) and
the service keeps no graph of its own: replicas are stateless, the store
(Oxigraph server, Fuseki, GraphDB, ...) holds the data. See docs/deploy.md.

* Parameters are bound as RDF terms in a ``VALUES`` block at the start of the
  WHERE clause (a remote store has no substitution API); the terms are
  re-serialised by pyoxigraph, so a value can never change the query's shape.
* Results are capped while they stream in: reading stops at ``max_results``.
* ``timeout`` → 504, connection failure → 503, other store errors → 502; a
  store's 400 (malformed query) stays a 400 with the store's message.
* The store should present the union of its named graphs as the default graph
  (``oxigraph serve --union-default-graph``, Fuseki ``tdb:unionDefaultGraph``).

    backend = RemoteBackend(Settings(store_url="http://127.0.0.1:7878/query",
                                     store_update_url="http://127.0.0.1:7878/update"))
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

from iopgraph.backend import Row, Term, _update_text, worker_options
from iopgraph.config import Settings
from iopgraph.errors import StoreError
from iopgraph.sparql.binding import bind_values
from iopgraph.sparql.engine import Outcome, QueryJob, serialize_triples, tsv_outcome
from iopgraph.sparql.errors import (
    QuerySyntaxError,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
    WorkersUnavailable,
)
from iopgraph.sparql.formats import RESULT_FORMATS, TSV
from iopgraph.sparql.pool import WorkerPool

log = logging.getLogger("iopgraph")

#: Least seconds allowed for screening a query in a worker before it is forwarded.
SCREEN_TIMEOUT = 10.0

RESULTS_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"


def _bind(query: str, substitutions: dict[str, Term] | None) -> str:
    return bind_values(query, {name: str(term) for name, term in (substitutions or {}).items()})


class RemoteBackend:
    """The service's store is a remote SPARQL endpoint; see the module docstring."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        assert settings.store_url, "RemoteBackend needs IOPGRAPH_STORE_URL"
        self.query_url = settings.store_url
        self.update_url = settings.store_update_url
        self.timeout = settings.query_timeout
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(settings.query_timeout, connect=5.0))
        self._version = uuid.uuid4().hex
        self._modified = datetime.now(UTC).replace(microsecond=0)
        self._settings = settings
        self._pool: WorkerPool | None = None
        self._empty: Path | None = None

    @property
    def version(self) -> str:
        return self._version

    @property
    def last_modified(self) -> datetime:
        return self._modified

    @property
    def pool(self) -> WorkerPool | None:
        """The graph-less sandboxed workers that screen queries and run isolated jobs here."""
        return self._pool

    async def start(self, workers: int = 2) -> None:
        """Start ``workers`` sandboxed worker processes with an empty store (jobs, query screening)."""
        if self._pool is None and workers > 0:
            handle, name = tempfile.mkstemp(prefix="iopgraph-empty-", suffix=".nq")
            os.close(handle)
            self._empty = Path(name)

            async def empty_snapshot() -> Path:
                assert self._empty is not None
                return self._empty

            self._pool = WorkerPool(workers, empty_snapshot, **worker_options(self._settings))
            await self._pool.start(wait=False)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._empty is not None:
            self._empty.unlink(missing_ok=True)
            self._empty = None
        await self._client.aclose()

    async def isolated(self, job: str, args: dict[str, Any], payload: bytes = b"", *,
                       timeout: float) -> tuple[dict[str, Any], bytes]:
        if self._pool is None:
            raise WorkersUnavailable("no worker processes are running (the backend was not started)")
        return await self._pool.call(job, args, payload, timeout=timeout)

    # -- HTTP ----------------------------------------------------------------------------------

    def _raise_for(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        text = response.text[:2000]
        if response.status_code == 400:
            raise QuerySyntaxError(f"the store refused the query: {text}")
        raise UpstreamError(f"the store answered {response.status_code}: {text}")

    async def _post(self, url: str, data: dict[str, object], accept: str, timeout: float | None = None) -> bytes:
        try:
            response = await self._client.post(url, data=data, headers={"Accept": accept},
                                                timeout=timeout or self.timeout)
        except httpx.TimeoutException:
            raise UpstreamTimeout(
                f"the store did not answer within {timeout or self.timeout:g} s (IOPGRAPH_QUERY_TIMEOUT)") from None
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(f"the store at {url} cannot be reached: {exc}") from None
        self._raise_for(response)
        return response.content

    # -- the service's own queries ---------------------------------------------------------------

    async def select(self, query: str, substitutions: dict[str, Term] | None = None) -> list[Row]:
        body = await self._post(self.query_url, {"query": _bind(query, substitutions)}, RESULTS_JSON)
        result = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return [{n: s[n] for n in names if s[n] is not None} for s in result]  # type: ignore[misc]

    async def ask(self, query: str, substitutions: dict[str, Term] | None = None) -> bool:
        body = await self._post(self.query_url, {"query": _bind(query, substitutions)}, RESULTS_JSON)
        return bool(ox.parse_query_results(body, ox.QueryResultsFormat.JSON))

    async def construct(self, query: str, substitutions: dict[str, Term] | None = None) -> list[ox.Triple]:
        body = await self._post(self.query_url, {"query": _bind(query, substitutions)}, N_TRIPLES)
        return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, ox.RdfFormat.N_TRIPLES)]

    async def quads(self, graph: str | None = None) -> list[ox.Quad]:
        if graph:
            rows = await self.select("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": ox.NamedNode(graph)})
            name: ox.NamedNode | ox.DefaultGraph = ox.NamedNode(graph)
            return [ox.Quad(r["s"], r["p"], r["o"], name) for r in rows]  # type: ignore[arg-type]
        rows = await self.select("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]  # type: ignore[arg-type]

    async def replace_quads(self, remove: Iterable[ox.Quad], add: Iterable[ox.Quad]) -> None:
        if not self.update_url:
            raise StoreError("the remote store is read-only here: set IOPGRAPH_STORE_UPDATE_URL to write")
        await self._post(self.update_url, {"update": _update_text(list(remove), list(add))}, "*/*")
        self._version = uuid.uuid4().hex
        self._modified = datetime.now(UTC).replace(microsecond=0)

    # -- users' queries --------------------------------------------------------------------------

    async def run_query(self, job: QueryJob, timeout: float, client: str = "") -> Outcome:
        query = bind_values(job.query, job.substitutions)
        await self._screen(query, job.base_iri, timeout)
        if job.base_iri:  # relative IRIs resolve against this service's endpoint, not the store's
            query = f"BASE <{job.base_iri}>\n{query}"
        data: dict[str, object] = {"query": query}
        if job.default_graphs is not None:
            data["default-graph-uri"] = job.default_graphs
        if job.named_graphs is not None:
            data["named-graph-uri"] = job.named_graphs
        if job.form == "ASK":
            body = await self._post(self.query_url, data, RESULTS_JSON, timeout)
            answer = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
            return Outcome(answer.serialize(format=RESULT_FORMATS[job.media_type]) or b"", 1, False)
        if job.form in ("CONSTRUCT", "DESCRIBE"):
            lines, truncated = await self._stream_lines(data, N_TRIPLES, job.max_results, timeout)
            triples = [ox.Triple(q.subject, q.predicate, q.object)
                       for q in ox.parse(b"".join(lines), ox.RdfFormat.N_TRIPLES)]
            return Outcome(serialize_triples(triples, job.media_type), len(triples), truncated)
        lines, truncated = await self._stream_lines(data, TSV, job.max_results + 1, timeout)
        return tsv_outcome(b"".join(lines), job.media_type, truncated, max(len(lines) - 1, 0))

    async def _screen(self, query: str, base: str | None, timeout: float) -> None:
        """Parse ``query`` in a sandboxed worker and refuse non-allow-listed SERVICE calls (the store would run them)."""
        from iopgraph.sparql.service import check_service_targets

        # Its own allowance (at least 10 s): a worker may still be starting, and parsing is not the query.
        result, _ = await self.isolated("screen-query", {"base": base}, query.encode("utf-8"),
                                        timeout=max(timeout, SCREEN_TIMEOUT))
        check_service_targets(list(result.get("services") or []), self._settings.service_allowlist)

    async def _stream_lines(self, data: dict[str, object], accept: str, max_lines: int,
                            timeout: float) -> tuple[list[bytes], bool]:
        """The first ``max_lines`` lines of the answer; stops reading (and says so) when there are more."""
        lines: list[bytes] = []
        try:
            async with self._client.stream("POST", self.query_url, data=data, headers={"Accept": accept},
                                           timeout=timeout) as response:
                if response.status_code >= 400:
                    await response.aread()
                    self._raise_for(response)
                pending = b""
                async for chunk in response.aiter_bytes():
                    pending += chunk
                    *complete, pending = pending.split(b"\n")
                    for line in complete:
                        if len(lines) >= max_lines:
                            return lines, True
                        lines.append(line + b"\n")
                if pending.strip():
                    if len(lines) >= max_lines:
                        return lines, True
                    lines.append(pending + b"\n")
        except httpx.TimeoutException:
            raise UpstreamTimeout(f"the store did not answer within {timeout:g} s (IOPGRAPH_QUERY_TIMEOUT)") from None
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(f"the store at {self.query_url} cannot be reached: {exc}") from None
        return lines, False


__all__ = ["RemoteBackend"]
