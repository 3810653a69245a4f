"""The harvester's first hour: JSON-LD, Hydra paging, DCAT-AP, LDES and every machine link, on any port.

Against a real `iopgraph serve` on the shipped graph on a random free port and
without ``IOPGRAPH_BASE_URL``: every link the service hands a machine (JSON-LD
``@context``, Hydra first/next/last, catalogue URLs, LDES relations, the service
description, /api/queries) must point at the address actually served (issue 10,
item 1), and work when followed.
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
import pyoxigraph as ox
import pytest
from pyld import jsonld

from support.clients import http_client
from support.journeys import WEB_BIN, local_only_loader, under
from support.paths import ROOT
from support.requirements import require_npm_tool

COLLECTIONS = ["challenges", "mitigations", "initiatives", "organisations", "recommendations", "statistics"]
RESOURCES = ["/id/report/d06-02", "/concept/challenge/lack-of-trust", "/ontology"]
DCAT_AP = ROOT / "tests" / "fixtures" / "dcat-ap" / "dcat-ap-3-mandatory.ttl"
#: Seeds of the link follower: the machine entry points the README names.
SEEDS = [
    "/api/queries",
    "/catalog",
    "/.well-known/void",
    "/ldes",
    "/sparql",
    "/context/v1.jsonld",
    *(f"/api/{c}" for c in COLLECTIONS),
    *RESOURCES,
]
MAX_URLS = 3000


def _get(url: str, accept: str = "application/ld+json") -> httpx.Response:
    return httpx.get(url, headers={"Accept": accept}, timeout=60)


def test_every_machine_link_names_the_port_served(shipped_base: str) -> None:
    """Issue 10 item 1: nothing points at the default port 8000 when the server runs on another one."""
    port = urlsplit(shipped_base).port
    assert port != 8000
    bodies = {
        "collection": _get(shipped_base + "/api/challenges?limit=5").text,
        "resource": _get(shipped_base + RESOURCES[0]).text,
        "catalog": _get(shipped_base + "/catalog", "text/turtle").text,
        "void": _get(shipped_base + "/.well-known/void", "text/turtle").text,
        "ldes": _get(shipped_base + "/ldes", "text/turtle").text,
        "ldes fragment": _get(shipped_base + "/ldes/fragment/0", "text/turtle").text,
        "service description": _get(shipped_base + "/sparql", "text/turtle").text,
        "named queries": _get(shipped_base + "/api/queries", "application/json").text,
    }
    for name, body in bodies.items():
        assert shipped_base + "/" in body, f"{name} has no link to {shipped_base}"
        assert ":8000" not in body, f"{name} still links to port 8000"
    doc = json.loads(bodies["collection"])
    assert doc["@context"] == shipped_base + "/context/v1.jsonld"
    assert doc["view"]["next"].startswith(shipped_base + "/api/challenges?")


def test_links_never_come_from_the_host_header(shipped_base: str) -> None:
    """Issue 9 item 11: a forged Host header is not echoed into Link headers or bodies (cache poisoning)."""
    forged = {"Host": "attacker.example"}
    for path in [
        "/api/challenges?limit=5",
        "/api/queries/challenge-tree?per_page=2",
        "/api/queries",
        "/sparql",
        "/ldes",
    ]:
        r = httpx.get(
            shipped_base + path,
            headers={**forged, "Accept": "application/ld+json, text/turtle;q=0.9, application/json;q=0.8"},
            timeout=30,
        )
        assert r.status_code == 200, (path, r.text[:300])
        assert "attacker.example" not in r.headers.get("link", "") + r.text, path
    editor = httpx.get(shipped_base + "/sparql", headers={**forged, "Accept": "text/html"}, timeout=30)
    assert editor.status_code == 200 and "attacker.example" not in editor.text
    assert shipped_base + "/sparql" in editor.text  # the endpoint the editor posts to: the base URL


@pytest.mark.parametrize("path", [f"/api/{c}" for c in COLLECTIONS] + RESOURCES)
def test_pyld_expands_with_only_this_servers_context(shipped_base: str, path: str) -> None:
    """PyLD with a document loader that refuses anything not under the server's base URL."""
    response = _get(shipped_base + path + ("?limit=10" if path.startswith("/api/") else ""))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    doc = response.json()
    assert doc["@context"] == shipped_base + "/context/v1.jsonld"
    expanded = jsonld.expand(doc, {"documentLoader": local_only_loader(shipped_base)})
    assert expanded, "nothing survived expansion"
    nquads = jsonld.to_rdf(expanded, {"format": "application/n-quads"})
    assert len(nquads.splitlines()) >= 5


@pytest.mark.parametrize("name", COLLECTIONS)
def test_hydra_next_is_followed_to_the_last_page(shipped_base: str, name: str) -> None:
    url: str | None = f"{shipped_base}/api/{name}?limit=7"
    members: list[str] = []
    pages = 0
    total = last = None
    while url:
        r = _get(url)
        assert r.status_code == 200, r.text[:300]
        doc = r.json()
        total = doc["totalItems"] if total is None else total
        view = doc.get("view", {})
        last = view.get("last", last)
        members += [m["@id"] for m in doc.get("member", [])]
        pages += 1
        assert pages <= 100
        if view.get("next") is None:
            assert url == last or last is None, (url, last)
        url = view.get("next")
        if url:
            assert under(shipped_base, url), url
    assert len(members) == total == len(set(members)), (name, len(members), total)


def test_the_catalogue_passes_the_dcat_ap_shapes(shipped_base: str) -> None:
    import pyshacl
    import rdflib

    r = _get(shipped_base + "/catalog", "text/turtle")
    assert r.status_code == 200
    data = rdflib.Graph().parse(data=r.text, format="turtle")
    conforms, _, text = pyshacl.validate(data, shacl_graph=rdflib.Graph().parse(DCAT_AP), allow_warnings=True)
    assert conforms, text
    urls = {str(o) for o in data.objects() if isinstance(o, rdflib.URIRef) and under(shipped_base, str(o))}
    assert urls, "the catalogue names no URL of this service"


def test_the_npm_ldes_client_follows_the_stream_to_the_end(shipped_base: str, tmp_path: Path) -> None:
    client = WEB_BIN / "ldes-client"
    require_npm_tool(client, "the LDES client")  # skips without npm, fails in CI
    done = subprocess.run(
        [str(client), shipped_base + "/ldes", "--materialize"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT / "web",
        check=False,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # the client keeps its state there (ldes-client-<id>)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ECONNREFUSED" not in done.stderr
    subjects = {
        q.subject.value
        for q in ox.parse(done.stdout.encode(), ox.RdfFormat.TRIG)
        if isinstance(q.subject, ox.NamedNode)
    }
    challenges: list[str] = []
    url: str | None = shipped_base + "/api/challenges?limit=200"
    while url:
        doc = _get(url).json()
        challenges += [m["@id"] for m in doc["member"]]
        url = doc.get("view", {}).get("next")
    assert challenges and set(challenges) <= subjects, "the replica lacks challenges the API lists"


def _links_in_json(value: Any, base: str) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_links_in_json(v, base) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_links_in_json(v, base) for v in value)) if value else set()
    if isinstance(value, str) and value.startswith(base + "/"):
        return {value}
    return set()


def _with_examples(query: dict[str, Any]) -> dict[str, Any]:
    """A named query's links, with its documented example parameters (a required one is never left out)."""
    params = {p["name"]: p["example"] for p in query["parameters"] if p.get("example") is not None}
    if not params:
        return query
    return {
        **query,
        "href": query["href"] + "?" + urlencode(params),
        "sparql": query["href"] + "?" + urlencode({**params, "format": "sparql"}),
    }


def _links(base: str, url: str, response: httpx.Response) -> set[str]:
    """Every URL under ``base`` this response names: Link headers, JSON(-LD) values, RDF IRIs."""
    found: set[str] = set()
    for part in response.headers.get_list("link"):
        for link in part.split(","):
            if "<" in link and ">" in link:
                found.add(urljoin(url, link[link.index("<") + 1 : link.index(">")]))
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if len(response.content) > 5_000_000:
        return {u for u in found if under(base, u)}
    if media_type in ("application/ld+json", "application/json"):
        doc = response.json()
        if isinstance(doc, dict) and "queries" in doc:  # /api/queries: a client fills in the parameters
            doc = [_with_examples(q) for q in doc["queries"]]
        found |= _links_in_json(doc, base)
    elif media_type == "text/turtle":
        for triple in ox.parse(response.content, ox.RdfFormat.TURTLE, base_iri=url):
            for term in triple:
                if isinstance(term, ox.NamedNode):
                    found.add(term.value)
    return {u.split("#")[0] for u in found if under(base, u)}


def test_every_machine_link_under_the_base_url_resolves(shipped_base: str) -> None:
    """Follow every JSON-LD @id / IRI and every Link header under the base URL; none may be 4xx/5xx."""
    seen = {shipped_base + s for s in SEEDS}
    frontier = sorted(seen)
    broken: list[str] = []
    accept = "application/ld+json, text/turtle;q=0.9, application/json;q=0.8, */*;q=0.1"
    with http_client(headers={"Accept": accept}) as client, ThreadPoolExecutor(4) as pool:
        while frontier and len(seen) < MAX_URLS:
            found: set[str] = set()
            for url, r in zip(frontier, pool.map(client.get, frontier), strict=True):
                if r.status_code >= 400:
                    broken.append(f"{r.status_code} {url}")
                else:
                    found |= _links(shipped_base, url, r)
            frontier = sorted(found - seen)
            seen |= found
    assert not broken, "\n".join(broken[:50])
    assert len(seen) > 100, f"only {len(seen)} links found"
    print(f"link follower: {len(seen)} URLs under {shipped_base}")
