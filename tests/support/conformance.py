"""The live service of the conformance tests, and a small client for it (updates, ASK, graphs, fingerprints).

The fixtures ``live_service`` (one server per session) and ``fresh_service`` (the same, steward
graphs emptied) are made available to every test by tests/conftest.py.

The project is the real ontology with a small shipped data file (the linked-data
views' fixture, so the file-backed graphs exist and must survive every test) and
the stewardship fixture's shapes, which target only ``http://example.org/ns#``
classes: the W3C cases' FOAF and vCard data pass the SHACL gate, and the gate is
still there to refuse an invalid ``ex:Project``. ``IOPGRAPH_BASE_URL`` is the
listening address, so graph IRIs under the base are the URLs that serve them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from support.clients import http_client
from support.paths import FIXTURES
from support.ports import free_port
from support.project import build_project
from support.reliability import TOKEN
from support.server import ServerProcess

SHIPPED_PREFIXES = ("https://w3id.org/iopgraph/graph/data/", "https://w3id.org/iopgraph/graph/ontology/")
UPDATE = "application/sparql-update"
FOAF = "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n@prefix v: <http://www.w3.org/2006/vcard/ns#> .\n"


class Live:
    """The base URL and write token of a running service, with helpers that assert nothing themselves."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.auth = {"Authorization": f"Bearer {token}"}
        self.http = http_client(url)

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        headers = {**(self.auth if auth else {}), **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def update(self, text: str, **params: str | list[str]) -> httpx.Response:
        return self.request(
            "POST", "/update", params=params, content=text.encode(), headers={"Content-Type": UPDATE}
        )

    def ask(self, query: str) -> bool:
        r = self.http.post(
            "/sparql",
            content=query.encode(),
            headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        )
        assert r.status_code == 200, r.text
        return bool(r.json()["boolean"])

    def reset(self) -> None:
        r = self.update("DROP ALL")
        assert r.status_code == 204, r.text

    def dataset(self) -> list[ox.Quad]:
        r = self.http.get("/store", headers={"Accept": "application/n-quads"})
        assert r.status_code == 200, r.text
        return list(ox.parse(r.content, ox.RdfFormat.N_QUADS))

    def fingerprint(self, keep: Any = None) -> str:
        """SHA-256 of the sorted N-Quads of the dataset (or of the quads ``keep`` selects)."""
        lines = sorted(str(q) for q in self.dataset() if keep is None or keep(q))
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()

    def shipped_fingerprint(self) -> str:
        return self.fingerprint(lambda q: str(q.graph_name).strip("<>").startswith(SHIPPED_PREFIXES))


def turtle_graph(text: str, prefixes: str = FOAF) -> rdflib.Graph:
    return rdflib.Graph().parse(data=prefixes + text, format="turtle")


def same_graph(response: httpx.Response, expected_turtle: str) -> bool:
    """The response body (Turtle) and the expected Turtle are isomorphic graphs (blank nodes matched)."""
    return isomorphic(
        rdflib.Graph().parse(data=response.text, format="turtle"), turtle_graph(expected_turtle)
    )


STEWARD_SHAPES = FIXTURES / "steward" / "shapes" / "mini.ttl"


@pytest.fixture(scope="session")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("conformance")
    root = build_project(folder, parts=("ontology", "queries"), extra={"shapes/mini.ttl": STEWARD_SHAPES})
    port = free_port()
    env = {
        "IOPGRAPH_ROOT": str(root),
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_BASE_URL": f"http://127.0.0.1:{port}",
        "IOPGRAPH_ACCESS_LOG": "false",
    }
    with ServerProcess(folder, env, port=port) as server:
        server.wait_until("/readyz", 120)
        service = Live(server.url, TOKEN)
        shipped = service.shipped_fingerprint()
        yield service
        assert service.shipped_fingerprint() == shipped, "a write changed the file-backed graphs"
        assert "Traceback" not in server.log()


@pytest.fixture
def fresh_service(live_service: Live) -> Live:
    """The live service with every steward graph and the default graph emptied (the shipped graphs stay)."""
    live_service.reset()
    return live_service
