"""The remote store's write guard, on a real `oxigraph serve`: a write applies only on the version it was
planned on, and only while its lease is held (unit tests of RemoteBackend; the live two-process journeys are
in tests/test_scale_out.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pyoxigraph as ox
import pytest

from iopgraph.core.settings import Settings
from iopgraph.store.remote import RemoteBackend, StoreBusy
from iopgraph.store.store_version import SYSTEM_GRAPH
from support.oxigraph import OxigraphServer

G = ox.NamedNode("http://example.org/graph/lease")
QUAD = ox.Quad(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p"), ox.Literal("x"), G)
VERSION = f"<{SYSTEM_GRAPH}#store> <{SYSTEM_GRAPH}#version>"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[str]:
    server = OxigraphServer(tmp_path)
    try:
        server.start()
        yield server.url
    finally:
        server.stop()


def _backend(url: str) -> RemoteBackend:
    return RemoteBackend(Settings(store_url=url + "/query", store_update_url=url + "/update"))


def _ask(url: str, query: str) -> bool:
    r = httpx.post(
        url + "/query", data={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    return bool(r.json()["boolean"])


def test_a_write_whose_version_moved_is_refused_and_writes_nothing(store: str) -> None:
    async def run() -> str:
        backend = _backend(store)
        await backend.start(workers=0)  # sets the store's first version
        try:
            async with backend.lease() as lease:
                assert lease.state.version == backend.version
                # Another writer (outside the service) changes the store meanwhile.
                moved = f"DELETE WHERE {{ GRAPH <{SYSTEM_GRAPH}> {{ {VERSION} ?v }} }} ; "
                moved += f'INSERT DATA {{ GRAPH <{SYSTEM_GRAPH}> {{ {VERSION} "moved" }} }}'
                httpx.post(store + "/update", data={"update": moved}).raise_for_status()
                with pytest.raises(StoreBusy) as refused:
                    await backend.replace_quads([], [QUAD])
            return refused.value.message
        finally:
            await backend.close()

    message = anyio.run(run)
    assert "the store changed while this write was being checked" in message
    assert not _ask(store, f"ASK {{ GRAPH <{G.value}> {{ ?s ?p ?o }} }}")
    assert _ask(store, f'ASK {{ GRAPH <{SYSTEM_GRAPH}> {{ {VERSION} "moved" }} }}')


def test_a_write_applies_and_moves_the_version_once(store: str) -> None:
    async def run() -> tuple[str, str]:
        backend = _backend(store)
        await backend.start(workers=0)
        try:
            before = backend.version
            await backend.replace_quads([], [QUAD])
            return before, backend.version
        finally:
            await backend.close()

    before, after = anyio.run(run)
    assert before != after and not before.startswith("unversioned")
    assert _ask(store, f'ASK {{ GRAPH <{G.value}> {{ <http://example.org/a> ?p "x" }} }}')
    assert _ask(store, f'ASK {{ GRAPH <{SYSTEM_GRAPH}> {{ {VERSION} "{after}" }} }}')
    assert not _ask(
        store, f"ASK {{ GRAPH <{SYSTEM_GRAPH}> {{ ?lock <{SYSTEM_GRAPH}#holder> ?h }} }}"
    )  # released
