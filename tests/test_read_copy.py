"""The embedded backend's read copy: the service's own reads on an in-memory copy, always in step with disk.

Real on-disk Oxigraph stores; no worker processes (the copy is the main process's, see
``LocalBackend`` in :mod:`iopgraph.store.backend`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox
import pytest

import iopgraph.store.backend as backend_module
from iopgraph.store.backend import LocalBackend
from iopgraph.store.local import open_store

EX = "https://w3id.org/iopgraph/id/test/"
G = ox.NamedNode("https://w3id.org/iopgraph/graph/test")
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def _quad(n: int, graph: ox.NamedNode = G) -> ox.Quad:
    return ox.Quad(ox.NamedNode(f"{EX}{n}"), LABEL, ox.Literal(f"label {n}"), graph)


def _store(path: Path, n: int) -> ox.Store:
    store = open_store(path)
    store.bulk_extend([_quad(i) for i in range(n)])
    return store


_LABELS = "SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"


def _labels_now(rows: Sequence[Mapping[str, object]]) -> set[str]:
    return {value.value for row in rows if isinstance(value := row["l"], ox.Literal)}


def _labels(backend: LocalBackend) -> set[str]:
    return _labels_now(asyncio.run(backend.select(_LABELS)))


def _disk_labels(store: ox.Store) -> set[str]:
    return {
        q.object.value
        for q in store.quads_for_pattern(None, LABEL, None, None)
        if isinstance(q.object, ox.Literal)
    }


def test_reads_use_the_copy_and_every_write_reaches_it(tmp_path: Path) -> None:
    store = _store(tmp_path / "store", 20)
    backend = LocalBackend(store, read_copy_max_quads=100)

    async def scenario() -> None:
        await backend.start(workers=0)
        assert backend.read_copy
        # A quad written to disk behind the backend's back is not in the copy: reads come from the copy.
        store.add(_quad(999))
        assert "label 999" not in {
            row["l"].value
            for row in await backend.select(
                "SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
            )
        }
        store.remove(_quad(999))
        # A write through the backend lands on disk and in the copy, plain and with a blank node.
        blank = ox.Quad(ox.BlankNode(), LABEL, ox.Literal("blank"), G)
        await backend.replace_quads([_quad(0)], [_quad(100), blank])
        # INSERT DATA gives a blank node a fresh label: remove it by the quad the store holds
        (stored,) = [q for q in store.quads_for_pattern(None, LABEL, ox.Literal("blank"), G)]
        assert _labels_now(await backend.select(_LABELS)) >= {"blank", "label 100"}
        await backend.replace_quads([stored], [])
        await backend.close()

    asyncio.run(scenario())
    assert _labels(backend) == _disk_labels(store)
    assert "label 100" in _labels(backend) and "label 0" not in _labels(backend)
    assert "blank" not in _labels(backend)
    dumped = {q for q in ox.parse(asyncio.run(backend.nquads()), ox.RdfFormat.N_QUADS)}
    assert dumped == set(store)


def test_a_graph_over_the_limit_is_read_from_disk(tmp_path: Path) -> None:
    store = _store(tmp_path / "store", 30)
    backend = LocalBackend(store, read_copy_max_quads=29)
    asyncio.run(backend.start(workers=0))
    assert not backend.read_copy
    store.add(_quad(500))  # read from disk: a quad added to the store is seen at once
    assert "label 500" in _labels(backend)
    off = LocalBackend(store)  # the default for a backend made in code: no copy
    asyncio.run(off.start(workers=0))
    assert not off.read_copy


def test_the_lookups_index_follows_every_write(tmp_path: Path) -> None:
    """The views' lookups are answered from an index of the read copy; a write drops it, so the next
    lookup sees the write (and a lookup never mixes the versions before and after it)."""
    store = _store(tmp_path / "store", 20)
    backend = LocalBackend(store, read_copy_max_quads=100)
    first, new = ox.NamedNode(f"{EX}0"), ox.NamedNode(f"{EX}100")

    async def scenario() -> None:
        await backend.start(workers=0)
        before = await backend.triples_of([first])
        assert before == [ox.Triple(first, LABEL, ox.Literal("label 0"))]
        index = backend._index
        assert index is not None  # the first lookup made it
        await backend.triples_of([first])
        assert backend._index is index  # and the next one used it
        await backend.replace_quads([_quad(0)], [_quad(100), ox.Quad(new, LABEL, first, G)])
        assert await backend.triples_of([first]) == []
        found = await backend.triples_of([new], [LABEL.value])
        assert sorted(map(str, found)) == sorted(
            map(str, [ox.Triple(new, LABEL, ox.Literal("label 100")), ox.Triple(new, LABEL, first)])
        )
        assert await backend.triples_to([first], [LABEL.value]) == [ox.Triple(new, LABEL, first)]
        assert backend._index is not index
        await backend.close()

    asyncio.run(scenario())


def test_a_copy_over_the_index_limit_is_counted_once_per_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting an in-memory store's quads walks it (~17 ms at 200k): a copy too large for the index is
    read by the store's lookups, and the decision is kept until the next write."""
    monkeypatch.setattr(backend_module, "INDEX_MAX_QUADS", 10)
    store = _store(tmp_path / "store", 20)
    backend = LocalBackend(store, read_copy_max_quads=100)
    first = ox.NamedNode(f"{EX}0")

    async def scenario() -> None:
        await backend.start(workers=0)
        assert await backend.triples_of([first]) == [ox.Triple(first, LABEL, ox.Literal("label 0"))]
        assert backend._index is None and backend._index_of == backend._reads_changed  # decided
        await backend.replace_quads([_quad(0)], [])
        assert backend._index_of != backend._reads_changed  # a write asks again
        assert await backend.triples_of([first]) == []
        assert backend._index_of == backend._reads_changed
        await backend.close()

    asyncio.run(scenario())
