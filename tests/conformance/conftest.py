"""The live service the conformance tests talk to: a real `iopgraph serve` with a write token.

The project is the real ontology with a small shipped data file (the linked-data
views' fixture, so the file-backed graphs exist and must survive every test) and
the stewardship fixture's shapes, which target only ``http://example.org/ns#``
classes: the W3C cases' FOAF and vCard data pass the SHACL gate, and the gate is
still there to refuse an invalid ``ex:Project``. ``IOPGRAPH_BASE_URL`` is the
listening address, so graph IRIs under the base are the URLs that serve them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conformance_support import Live

from reliability_support import TOKEN, ServerProcess, free_port, make_project

STEWARD_SHAPES = Path(__file__).parents[1] / "fixtures" / "steward" / "shapes" / "mini.ttl"


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("conformance")
    root = make_project(folder)
    shutil.rmtree(root / "shapes")
    (root / "shapes").mkdir()
    shutil.copy(STEWARD_SHAPES, root / "shapes" / "mini.ttl")
    port = free_port()
    env = {"IOPGRAPH_ROOT": str(root), "IOPGRAPH_STORE_PATH": str(folder / "store"), "IOPGRAPH_WRITE_TOKEN": TOKEN,
           "IOPGRAPH_BASE_URL": f"http://127.0.0.1:{port}", "IOPGRAPH_ACCESS_LOG": "false"}
    with ServerProcess(folder, env, port=port) as server:
        server.wait_until("/readyz", 120)
        service = Live(server.url, TOKEN)
        shipped = service.shipped_fingerprint()
        yield service
        assert service.shipped_fingerprint() == shipped, "a write changed the file-backed graphs"
        assert "Traceback" not in server.log()


@pytest.fixture
def fresh(live: Live) -> Live:
    """The live service with every steward graph and the default graph emptied (the shipped graphs stay)."""
    live.reset()
    return live
