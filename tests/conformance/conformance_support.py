"""A small client of the live service for the conformance tests: updates, ASK, graphs, fingerprints."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pyoxigraph as ox
import rdflib
from rdflib.compare import isomorphic

SHIPPED_PREFIXES = ("https://w3id.org/iopgraph/graph/data/", "https://w3id.org/iopgraph/graph/ontology/")
UPDATE = "application/sparql-update"
FOAF = "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n@prefix v: <http://www.w3.org/2006/vcard/ns#> .\n"


class Live:
    """The base URL and write token of a running service, with helpers that assert nothing themselves."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.auth = {"Authorization": f"Bearer {token}"}
        self.http = httpx.Client(base_url=url, timeout=60)

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        headers = {**(self.auth if auth else {}), **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def update(self, text: str, **params: str | list[str]) -> httpx.Response:
        return self.request("POST", "/update", params=params, content=text.encode(), headers={"Content-Type": UPDATE})

    def ask(self, query: str) -> bool:
        r = self.http.post("/sparql", content=query.encode(), headers={
            "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
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
    return isomorphic(rdflib.Graph().parse(data=response.text, format="turtle"), turtle_graph(expected_turtle))
