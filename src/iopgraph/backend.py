"""The store behind the service, as one async interface with interchangeable implementations.

Every component that reads or writes the graph (SPARQL endpoint, linked-data
views, validation against the current graph, writes) goes through a
:class:`Backend`; none touches pyoxigraph or HTTP stores directly. Blocking work
runs off the event loop.

    backend = LocalBackend(open_store(path))
    rows = await backend.select("SELECT ?s WHERE { ?s a ?c } LIMIT 3")
    triples = await backend.construct("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3")

``version`` changes on every accepted write; ETags and caches are keyed on it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

import anyio.to_thread
import pyoxigraph as ox

Term = ox.NamedNode | ox.BlankNode | ox.Literal
Row = dict[str, Term]


class Backend(Protocol):
    """What the service needs from a store."""

    @property
    def version(self) -> str: ...

    @property
    def last_modified(self) -> datetime: ...

    async def select(self, query: str, substitutions: dict[str, Term] | None = None) -> list[Row]: ...

    async def ask(self, query: str, substitutions: dict[str, Term] | None = None) -> bool: ...

    async def construct(self, query: str, substitutions: dict[str, Term] | None = None) -> list[ox.Triple]: ...

    async def quads(self, graph: str | None = None) -> list[ox.Quad]: ...

    async def replace_quads(self, remove: Iterable[ox.Quad], add: Iterable[ox.Quad]) -> None: ...


class LocalBackend:
    """The embedded Oxigraph store, queried in worker threads.

    All graphs form the default graph of a query (union default graph).
    Writes are serialised by a lock and applied in one transaction.
    """

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self._version = uuid.uuid4().hex
        self._modified = datetime.now(UTC).replace(microsecond=0)
        self._write_lock = threading.Lock()

    @property
    def version(self) -> str:
        return self._version

    @property
    def last_modified(self) -> datetime:
        return self._modified

    def _bump(self) -> None:
        self._version = uuid.uuid4().hex
        self._modified = datetime.now(UTC).replace(microsecond=0)

    def _query(self, query: str, substitutions: dict[str, Term] | None) -> object:
        subs = {ox.Variable(k): v for k, v in (substitutions or {}).items()}
        return self.store.query(query, use_default_graph_as_union=True, substitutions=subs or None)

    async def select(self, query: str, substitutions: dict[str, Term] | None = None) -> list[Row]:
        def run() -> list[Row]:
            result = self._query(query, substitutions)
            assert isinstance(result, ox.QuerySolutions)
            names = [v.value for v in result.variables]
            rows = []
            for solution in result:
                row = {n: solution[n] for n in names if solution[n] is not None}
                rows.append(row)  # type: ignore[arg-type]
            return rows

        return await anyio.to_thread.run_sync(run)

    async def ask(self, query: str, substitutions: dict[str, Term] | None = None) -> bool:
        return await anyio.to_thread.run_sync(lambda: bool(self._query(query, substitutions)))

    async def construct(self, query: str, substitutions: dict[str, Term] | None = None) -> list[ox.Triple]:
        return await anyio.to_thread.run_sync(lambda: list(self._query(query, substitutions)))  # type: ignore[call-overload]

    async def quads(self, graph: str | None = None) -> list[ox.Quad]:
        g = ox.NamedNode(graph) if graph else None
        return await anyio.to_thread.run_sync(lambda: list(self.store.quads_for_pattern(None, None, None, g)))

    async def replace_quads(self, remove: Iterable[ox.Quad], add: Iterable[ox.Quad]) -> None:
        to_remove, to_add = list(remove), list(add)

        def run() -> None:
            with self._write_lock:
                # One SPARQL update = one transaction: all of it lands or none of it.
                self.store.update(_update_text(to_remove, to_add))
                self.store.flush()
                self._bump()

        await anyio.to_thread.run_sync(run)


def _nquads(quads: list[ox.Quad]) -> str:
    lines = []
    for q in quads:
        triple = f"{q.subject} {q.predicate} {q.object} ."
        lines.append(triple if isinstance(q.graph_name, ox.DefaultGraph) else f"GRAPH {q.graph_name} {{ {triple} }}")
    return "\n".join(lines)


def _update_text(remove: list[ox.Quad], add: list[ox.Quad]) -> str:
    parts = []
    if remove:
        parts.append("DELETE DATA {\n" + _nquads(remove) + "\n}")
    if add:
        parts.append("INSERT DATA {\n" + _nquads(add) + "\n}")
    return " ;\n".join(parts) or "# nothing to do"
