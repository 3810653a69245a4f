"""Remote-store mode: a write's sandboxed worker gets the graphs the write reads, not the whole dataset.

Against a real `oxigraph serve`. SHACL validation reads across the data graphs (a linked
node's type, a class hierarchy), so a checked write still gets those; it no longer gets the
system graphs (provenance, releases), which grow with every write and which neither the
plan nor the check reads. A write with no shapes to check gets only the graph it writes; an
upload validated on its own gets nothing; a SPARQL Update (whose WHERE may read any graph)
gets everything. The end-to-end behaviour (validation seeing the remote graph, gated
writes landing) is tests/test_writes_remote.py.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from iopgraph.core.settings import Settings
from iopgraph.stewardship.changes import PROVENANCE_GRAPH
from iopgraph.stewardship.isolation import EVERYTHING, Reads, dataset_prefix, upload_reads, write_reads
from iopgraph.store.backend import LocalBackend
from iopgraph.store.remote import RemoteBackend
from support.oxigraph import OXIGRAPH, oxigraph_serve

pytestmark = pytest.mark.skipif(
    not OXIGRAPH.exists() and not shutil.which("oxigraph"),
    reason="the oxigraph server binary (pip package `oxigraph`) is not installed",
)
EX = "http://example.org/"
DATA = "https://w3id.org/iopgraph/graph/data/base"
STEWARD = "http://example.org/graph/steward"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("remote-graphs")
    files: list[tuple[Path, str | None]] = []
    for name, graph, count in (("data", DATA, 3), ("steward", STEWARD, 2), ("prov", PROVENANCE_GRAPH, 50)):
        path = folder / f"{name}.nt"
        path.write_text("".join(f"<{EX}{name}/{i}> <{EX}p> <{EX}o{i}> .\n" for i in range(count)))
        files.append((path, graph))
    with oxigraph_serve(folder, files) as (base, _):
        yield base


def _graphs(store: str, reads: Reads) -> dict[str, int]:
    async def run() -> bytes | None:
        backend = RemoteBackend(Settings(store_url=store + "/query"))
        try:
            return await dataset_prefix(backend, reads)
        finally:
            await backend.close()

    sent = asyncio.run(run())
    assert sent is not None
    counts: dict[str, int] = {}
    for quad in ox.parse(sent, ox.RdfFormat.N_QUADS):
        assert isinstance(quad.graph_name, ox.NamedNode)
        counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
    return counts


def test_a_checked_write_gets_the_data_graphs_not_the_system_graphs(store: str) -> None:
    reads = write_reads({"kind": "replace", "graph": STEWARD}, has_shapes=True)
    assert _graphs(store, reads) == {DATA: 3, STEWARD: 2}


def test_an_unchecked_write_gets_only_its_graph(store: str) -> None:
    for kind in ("replace", "merge", "drop"):
        reads = write_reads({"kind": kind, "graph": STEWARD}, has_shapes=False)
        assert _graphs(store, reads) == {STEWARD: 2}, kind


def test_an_update_gets_the_whole_dataset(store: str) -> None:
    reads = write_reads({"kind": "update", "text": "INSERT DATA {}"}, has_shapes=True)
    assert _graphs(store, reads) == {DATA: 3, STEWARD: 2, PROVENANCE_GRAPH: 50}


def test_an_upload_validated_alone_gets_nothing(store: str) -> None:
    assert _graphs(store, upload_reads(with_current=False)) == {}
    assert _graphs(store, upload_reads(with_current=True)) == {DATA: 3, STEWARD: 2}


def test_the_embedded_store_sends_nothing(tmp_path: Path) -> None:
    async def run() -> bytes | None:
        return await dataset_prefix(LocalBackend(ox.Store(str(tmp_path / "store"))), EVERYTHING)

    assert asyncio.run(run()) is None  # its workers hold the graph already
