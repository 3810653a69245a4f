"""The direct ``/sparql`` path answers exactly what the router answers, for results and refusals alike.

One app with ``DirectSparql`` (as built), one without it (its router answers every query);
the same requests to both, the answers compared whole: status, body, every header but the
request id, in order (the ETag and Last-Modified by presence: each app has its own store).
"""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from iopgraph.http.sparql_direct import DirectSparql
from support.sparql import EX, settings_for

SELECT = f"SELECT ?p ?age WHERE {{ ?p a <{EX}Person> ; <{EX}age> ?age }} ORDER BY ?p"
CONSTRUCT = f"CONSTRUCT {{ ?a <{EX}knows> ?b }} WHERE {{ ?a <{EX}knows> ?b }}"
FORM = "application/x-www-form-urlencoded"
#: Headers made from the store's version and time (the two apps have a store each): compared by presence.
STORE_SPECIFIC = {"etag": "(the store's)", "last-modified": "(the store's)"}
#: (method, params, body, headers)
REQUESTS: list[tuple[str, dict[str, str], bytes | None, dict[str, str]]] = [
    ("GET", {"query": SELECT}, None, {"Accept": "application/sparql-results+json"}),
    ("GET", {"query": SELECT, "format": "tsv"}, None, {}),
    ("GET", {"query": CONSTRUCT}, None, {"Accept": "text/turtle"}),
    ("GET", {"query": CONSTRUCT}, None, {"Accept": "application/ld+json"}),
    ("GET", {}, None, {"Accept": "text/turtle"}),  # the service description
    ("GET", {}, None, {"Accept": "text/html"}),  # the editor
    ("GET", {"update": "DROP ALL"}, None, {}),
    ("GET", {"query": "SELECT WHERE {"}, None, {}),
    ("GET", {"query": SELECT}, None, {"Accept": "image/png"}),
    ("GET", {"query": SELECT, "format": "nope"}, None, {}),
    ("GET", {"query": SELECT + " SERVICE"}, None, {}),
    ("GET", {"query": "SELECT * { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }"}, None, {}),
    ("GET", {"query": SELECT, "default-graph-uri": "not an iri"}, None, {}),
    ("GET", {"query": "x", "format": "json"}, None, {"Accept": "text/html"}),
    ("POST", {}, SELECT.encode(), {"Content-Type": "application/sparql-query", "Accept": "text/csv"}),
    ("POST", {}, ("query=" + SELECT).encode(), {"Content-Type": FORM}),
    ("POST", {}, b"", {"Content-Type": FORM}),
    ("POST", {}, b"{}", {"Content-Type": "application/json"}),
    ("POST", {}, b"DROP ALL", {"Content-Type": "application/sparql-update"}),
    ("POST", {}, b"\xff\xfe", {"Content-Type": "application/sparql-query"}),
]


def answers(client: TestClient) -> list[tuple[int, bytes, list[tuple[str, str]]]]:
    found = []
    for method, params, body, headers in REQUESTS:
        r: httpx.Response = client.request(method, "/sparql", params=params, content=body, headers=headers)
        kept = [
            (k.lower(), STORE_SPECIFIC.get(k.lower(), v))
            for k, v in r.headers.multi_items()
            if k.lower() != "x-request-id"
        ]
        found.append((r.status_code, r.content, kept))
    return found


def test_direct_and_routed_answers_are_the_same(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "a", max_results=5)
    direct_app = create_app(settings)
    with TestClient(direct_app) as client:
        client.get("/sparql", params={"query": "ASK {}"})  # the first of each method teaches the route
        client.post("/sparql", content=b"ASK {}", headers={"Content-Type": "application/sparql-query"})
        direct = answers(client)
    routed_app = create_app(settings_for(tmp_path / "b", max_results=5))  # the same graph, its own store
    kept = [m for m in routed_app.user_middleware if getattr(m, "cls", None) is not DirectSparql]
    assert len(kept) == len(routed_app.user_middleware) - 1
    routed_app.user_middleware = kept
    with TestClient(routed_app) as client:
        routed = answers(client)
    statuses = [status for status, _, _ in routed]
    assert 200 in statuses and {400, 403, 406, 415} <= set(statuses)  # answers and refusals both compared
    for request, got, expected in zip(REQUESTS, direct, routed, strict=True):
        assert got == expected, request
