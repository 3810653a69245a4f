"""Writes are off unless configured, token-gated, SHACL-gated, atomic and serialised (issue 5).

Every rejection path leaves the store byte-for-byte unchanged (sorted N-Quads
dump compared before and after).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from iopgraph.core.settings import Settings
from iopgraph.core.sources import graph_sources
from iopgraph.stewardship.auth import WriteTokens
from iopgraph.stewardship.changes import Change, merge_into_graph
from iopgraph.stewardship.checks import Checker
from iopgraph.stewardship.gate import WriteGate
from iopgraph.store import backend as backend_module
from iopgraph.store.backend import LocalBackend
from iopgraph.store.local import load_sources
from support.steward import (
    AUTH,
    FIXTURE,
    INVALID_PROJECT,
    NEW_GRAPH,
    PREFIXES,
    TOKEN,
    VALID_PROJECT,
    dump,
    settings_for,
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path, max_upload_bytes=20_000))) as c:
        yield c


def store_of(client: TestClient) -> ox.Store:
    return client.app.state.context.backend.store  # type: ignore[attr-defined,no-any-return]


PUT = ("put", "/store", {"graph": NEW_GRAPH})
UPDATE = ("post", "/update", {})
REJECTIONS = {
    "no token": (PUT, {"Content-Type": "text/turtle"}, VALID_PROJECT.encode(), 401, "unauthorized"),
    "wrong token": (
        PUT,
        {"Content-Type": "text/turtle", "Authorization": "Bearer wrong-token-0123456789"},
        VALID_PROJECT.encode(),
        403,
        "forbidden",
    ),
    "basic auth": (
        PUT,
        {"Content-Type": "text/turtle", "Authorization": "Basic dXNlcjpwYXNz"},
        VALID_PROJECT.encode(),
        401,
        "unauthorized",
    ),
    "unparseable": (
        PUT,
        {"Content-Type": "text/turtle", **AUTH},
        b"@prefix ex: <http://x/> . ex:a ex:b",
        400,
        "rdf-syntax-error",
    ),
    "media type": (PUT, {"Content-Type": "application/pdf", **AUTH}, b"%PDF", 415, "unsupported-media-type"),
    "too large": (PUT, {"Content-Type": "text/turtle", **AUTH}, b"#" * 30_000, 413, "payload-too-large"),
    "shacl": (PUT, {"Content-Type": "text/turtle", **AUTH}, INVALID_PROJECT.encode(), 422, "shacl-violation"),
    "update no token": (
        UPDATE,
        {"Content-Type": "application/sparql-update"},
        b"INSERT DATA { <http://a> <http://b> 1 }",
        401,
        "unauthorized",
    ),
    "update unparseable": (
        UPDATE,
        {"Content-Type": "application/sparql-update", **AUTH},
        b"INSERT DATA { <a> <b> }",
        400,
        "invalid-update",
    ),
    "update LOAD": (
        UPDATE,
        {"Content-Type": "application/sparql-update", **AUTH},
        b"LOAD <http://example.org/x>",
        400,
        "update-not-allowed",
    ),
    "update media type": (
        UPDATE,
        {"Content-Type": "text/plain", **AUTH},
        b"INSERT DATA {}",
        415,
        "unsupported-media-type",
    ),
    "update too large": (
        UPDATE,
        {"Content-Type": "application/sparql-update", **AUTH},
        b"#" * 30_000,
        413,
        "payload-too-large",
    ),
    "update shacl": (
        UPDATE,
        {"Content-Type": "application/sparql-update", **AUTH},
        f"INSERT DATA {{ GRAPH <{NEW_GRAPH}> {{ <http://example.org/id/p3> a <http://example.org/ns#Project> "
        "} }".encode(),
        422,
        "shacl-violation",
    ),
}


@pytest.mark.parametrize("name", list(REJECTIONS))
def test_every_rejection_leaves_the_store_unchanged(client: TestClient, name: str) -> None:
    (method, path, params), headers, body, status, code = REJECTIONS[name]
    before = dump(store_of(client))
    version = client.app.state.context.backend.version  # type: ignore[attr-defined]
    r = client.request(method.upper(), path, params=params, content=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == code
    if status == 401:
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert dump(store_of(client)) == before
    assert client.app.state.context.backend.version == version  # type: ignore[attr-defined]


def test_writes_are_off_without_a_token(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, write_token=None))) as c:
        before = dump(c.app.state.context.backend.store)  # type: ignore[attr-defined]
        r = c.put(
            "/store",
            params={"graph": NEW_GRAPH},
            content=VALID_PROJECT,
            headers={"Content-Type": "text/turtle", **AUTH},
        )
        assert r.status_code == 403 and r.json()["code"] == "writes-disabled"
        assert (
            c.get("/store", params={"graph": "https://w3id.org/iopgraph/graph/data/base"}).status_code == 200
        )
        assert dump(c.app.state.context.backend.store) == before  # type: ignore[attr-defined]


def test_token_file_with_agent_names(tmp_path: Path) -> None:
    token_file = tmp_path / "tokens"
    token_file.write_text("# stewards\ncity-of-ghent ghent-token-0123456789\nanalyst-token-0123456789\n")
    settings = Settings(root=FIXTURE, write_token_file=token_file, write_agent="analyst")
    tokens = WriteTokens.from_settings(settings)
    assert tokens.authenticate("Bearer ghent-token-0123456789") == "city-of-ghent"
    assert tokens.authenticate("bearer analyst-token-0123456789") == "analyst"
    with pytest.raises(Exception) as wrong:
        tokens.authenticate("Bearer ghent-token-0123456780")
    assert getattr(wrong.value, "status", None) == 403
    short = tmp_path / "short"
    short.write_text("abc\n")
    with pytest.raises(Exception, match="shorter"):
        WriteTokens.from_settings(Settings(root=FIXTURE, write_token_file=short))


def test_a_write_failing_half_way_lands_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's transaction fails after the DELETE and INSERT parts ran: none of it stays."""
    store = ox.Store(str(tmp_path / "store"))
    load_sources(store, graph_sources(FIXTURE))
    existing = ox.NamedNode("https://w3id.org/iopgraph/graph/data/base")
    original = backend_module._update_text

    def failing(remove: list[ox.Quad], add: list[ox.Quad], store: ox.Store | None = None) -> str:
        # CREATE GRAPH of an existing graph fails at execution, after the earlier operations ran.
        return original(remove, add, store) + f" ;\nCREATE GRAPH {existing}"

    monkeypatch.setattr(backend_module, "_update_text", failing)
    checker = Checker.from_root(FIXTURE)
    gate = WriteGate(LocalBackend(store), checker)
    steward = ox.NamedNode(
        "http://example.org/graph/steward"
    )  # the shipped graphs are protected: remove from this one
    removed = [
        ox.Quad(
            ox.NamedNode("http://example.org/id/p1"),
            ox.NamedNode("http://example.org/ns#altLabel"),
            ox.Literal("SDS", language="en"),
            steward,
        )
    ]
    store.extend(removed)
    before = dump(store)
    quads = [
        ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(NEW_GRAPH))
        for q in ox.parse(VALID_PROJECT.encode(), ox.RdfFormat.TURTLE)
    ]

    def plan(source: ox.Store) -> Change:
        change = merge_into_graph(source, ox.NamedNode(NEW_GRAPH), quads)
        return Change(removed, change.add, "half-way test", True)

    with pytest.raises(RuntimeError, match="already exists"):
        asyncio.run(gate.write(plan, "tester"))
    assert dump(store) == before


def test_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    """Ten writers each replace the same graph with a consistent 2-triple state; every state seen is whole."""
    store = ox.Store(str(tmp_path / "store"))
    load_sources(store, graph_sources(FIXTURE))
    gate = WriteGate(LocalBackend(store), Checker.from_root(FIXTURE))
    graph = ox.NamedNode(NEW_GRAPH)
    seen: list[set[str]] = []

    def state(i: int) -> list[ox.Quad]:
        text = PREFIXES + f'id:thing ex:version "{i}" ; ex:check "{i}" .'
        return [
            ox.Quad(q.subject, q.predicate, q.object, graph)
            for q in ox.parse(text.encode(), ox.RdfFormat.TURTLE)
        ]

    async def writer(i: int) -> None:
        from iopgraph.stewardship.changes import replace_graph

        await gate.write(lambda source: replace_graph(source, graph, state(i)), f"writer-{i}")

    async def reader() -> None:
        for _ in range(50):
            seen.append({q.object.value for q in store.quads_for_pattern(None, None, None, graph)})
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(reader(), *(writer(i) for i in range(10)))

    asyncio.run(main())
    for values in seen:
        assert len(values) <= 1, f"a reader saw a half-applied write: {values}"
    final = {q.object.value for q in store.quads_for_pattern(None, None, None, graph)}
    assert len(final) == 1 and len(list(store.quads_for_pattern(None, None, None, graph))) == 2


def test_token_compare_is_constant_time() -> None:
    import inspect

    from iopgraph.stewardship import auth

    assert "hmac.compare_digest" in inspect.getsource(auth.WriteTokens.authenticate)
    assert TOKEN not in inspect.getsource(auth)
