"""SPARQL 1.1 Graph Store HTTP Protocol against a live `iopgraph serve` (issue 11).

Indirect identification (``/store?graph=IRI``, ``?default``) and direct
identification (``<base>/store/<path>`` names the graph ``<base>/store/<path>``;
``<base>/graph/<path>`` names ``https://w3id.org/iopgraph/graph/<path>``, where
that IRI dereferences). Each W3C GSP manifest case is replayed by the test named
after it, for both kinds of identification where the manifest has both.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest

from support.conformance import FOAF, Live, same_graph

TTL = {"Content-Type": "text/turtle; charset=utf-8"}
ACCEPT = {"Accept": "text/turtle"}
JOHN = '<http://www.example/gsp/person/1> a foaf:Person; foaf:businessCard [ a v:VCard; v:fn "John Doe" ].'
JANE = '<http://www.example/gsp/person/1> a foaf:Person; foaf:businessCard [ a v:VCard; v:fn "Jane Doe" ].'
ALICE = '[] a foaf:Person; foaf:businessCard [ a v:VCard; v:given-name "Alice" ] .'
MULTIPART = (
    b"--a6fe4cd636164618814be9f8d3d1a0de\r\n"
    b'Content-Disposition: form-data; name="lastName.ttl"; filename="lastName.ttl"\r\n'
    b"Content-Type: text/turtle; charset=utf-8\r\n\r\n"
    b"@prefix foaf: <http://xmlns.com/foaf/0.1/> .\r\n"
    b'<http://www.example/gsp/person/1> foaf:familyName "Doe" .\r\n\r\n'
    b"--a6fe4cd636164618814be9f8d3d1a0de\r\n"
    b'Content-Disposition: form-data; name="firstName.ttl"; filename="firstName.ttl"\r\n'
    b"Content-Type: text/turtle; charset=utf-8\r\n\r\n"
    b"@prefix foaf: <http://xmlns.com/foaf/0.1/> .\r\n"
    b'<http://www.example/gsp/person/1> foaf:givenName "Jane" .\r\n\r\n'
    b"--a6fe4cd636164618814be9f8d3d1a0de--\r\n"
)
MULTIPART_TYPE = {"Content-Type": "multipart/form-data; boundary=a6fe4cd636164618814be9f8d3d1a0de"}

#: How a test names a graph: (method, graph name) → request arguments.
Address = Callable[[str], dict[str, object]]


def indirect(name: str) -> dict[str, object]:
    return {"url": "/store", "params": {"graph": f"http://www.example/gsp/{name}"}}


def direct(name: str) -> dict[str, object]:
    return {"url": f"/store/{name}"}


def call(live_service: Live, method: str, address: dict[str, object], **kwargs: object) -> httpx.Response:
    args = dict(address)
    return live_service.request(method, str(args.pop("url")), **args, **kwargs)  # type: ignore[arg-type]


def turtle(body: str) -> bytes:
    return (FOAF + body).encode()


KINDS = pytest.mark.parametrize("address", [indirect, direct], ids=["indirect", "direct"])


@KINDS
def test_put_get_repeat(fresh_service: Live, address: Address) -> None:
    """put_get_repeat_indirect / _direct: PUT 201 (new), GET the graph, PUT again 204, GET the new content."""
    graph = address("person/1.ttl")
    assert call(fresh_service, "PUT", graph, content=turtle(JOHN), headers=TTL).status_code == 201
    got = call(fresh_service, "GET", graph, headers=ACCEPT)
    assert got.status_code == 200 and got.headers["content-type"] == "text/turtle; charset=utf-8"
    assert same_graph(got, JOHN)
    assert call(fresh_service, "PUT", graph, content=turtle(JANE), headers=TTL).status_code == 204
    assert same_graph(call(fresh_service, "GET", graph, headers=ACCEPT), JANE)


def test_put_get_default(fresh_service: Live) -> None:
    """put_get_default: ?default is the store's own default graph (the shipped named graphs are not in it)."""
    r = fresh_service.request("PUT", "/store?default", content=turtle(ALICE), headers=TTL)
    assert r.status_code == 204, r.text  # the default graph always exists: replaced, not created
    got = fresh_service.request("GET", "/store?default", headers=ACCEPT)
    assert got.status_code == 200 and same_graph(got, ALICE)


@KINDS
def test_put_delete_get_delete(fresh_service: Live, address: Address) -> None:
    """put_delete_get_delete_indirect / _direct: DELETE 204, then GET and DELETE 404."""
    graph = address("person/2.ttl")
    assert call(fresh_service, "PUT", graph, content=turtle(ALICE), headers=TTL).status_code == 201
    assert call(fresh_service, "DELETE", graph).status_code == 204
    missing = call(fresh_service, "GET", graph)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert call(fresh_service, "DELETE", graph).status_code == 404


@KINDS
def test_post_get_post_get(fresh_service: Live, address: Address) -> None:
    """post_get_post_get_indirect / _direct: POST creates (201) then merges; multipart merges every part."""
    graph = address("person/1.ttl")
    assert call(fresh_service, "POST", graph, content=turtle(JANE), headers=TTL).status_code == 201
    assert same_graph(call(fresh_service, "GET", graph, headers=ACCEPT), JANE)
    assert call(fresh_service, "POST", graph, content=MULTIPART, headers=MULTIPART_TYPE).status_code == 204
    merged = JANE.removesuffix(".") + '; foaf:givenName "Jane"; foaf:familyName "Doe" .'
    assert same_graph(call(fresh_service, "GET", graph, headers=ACCEPT), merged)


def test_post_get_new_graph(fresh_service: Live) -> None:
    """post_get_new_graph: POST to the graph store makes a new graph: 201, Location = its IRI."""
    r = fresh_service.request("POST", "/store", content=turtle(ALICE), headers=TTL)
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    assert location.startswith("https://w3id.org/iopgraph/graph/contrib/")
    assert 'rel="http://www.w3.org/ns/prov#has_provenance"' in r.headers["link"]
    got = fresh_service.request("GET", f"/store?graph={location}", headers=ACCEPT)
    assert got.status_code == 200 and same_graph(got, ALICE)
    # The new graph's IRI dereferences where the service serves graph IRIs (direct identification).
    local = "/" + location.removeprefix("https://w3id.org/iopgraph/")
    assert same_graph(fresh_service.request("GET", local, headers=ACCEPT), ALICE)
    second = fresh_service.request("POST", "/store", content=turtle(ALICE), headers=TTL)
    assert second.status_code == 201 and second.headers["location"] != location


def test_post_quads_to_the_store_keeps_loading_datasets(fresh_service: Live) -> None:
    """An extension kept on purpose: TriG / N-Quads POSTed to /store go into their own graphs (204)."""
    trig = b'<http://example.org/g1> { <http://example.org/s> <http://example.org/p> "one" . }'
    r = fresh_service.request("POST", "/store", content=trig, headers={"Content-Type": "application/trig"})
    assert r.status_code == 204, r.text
    assert fresh_service.ask(
        'ASK { GRAPH <http://example.org/g1> { <http://example.org/s> <http://example.org/p> "one" } }'
    )


@KINDS
def test_head_existing(fresh_service: Live, address: Address) -> None:
    """head_existing_indirect / _direct: HEAD answers the GET's status and headers, no body."""
    graph = address("person/1.ttl")
    assert call(fresh_service, "PUT", graph, content=turtle(JOHN), headers=TTL).status_code == 201
    r = call(fresh_service, "HEAD", graph, headers={"Accept": "text/turtle; charset=utf-8"})
    assert (
        r.status_code == 200
        and r.headers["content-type"] == "text/turtle; charset=utf-8"
        and r.content == b""
    )


@KINDS
def test_head_non_existing(fresh_service: Live, address: Address) -> None:
    """head_non_existing_indirect / _direct."""
    assert (
        call(
            fresh_service, "HEAD", address("person/4.ttl"), headers={"Accept": "text/turtle; charset=utf-8"}
        ).status_code
        == 404
    )


def test_put_get_uri_pct_encoded_indirect(fresh_service: Live) -> None:
    """put_get_uri_pct_encoded_indirect: the graph IRI is the same however the query string encodes it."""
    r = fresh_service.request(
        "PUT",
        "/store?graph=http%3A%2F%2Fwww.example%2Fgsp%2Fperson%2F1.ttl",
        content=turtle(JOHN),
        headers=TTL,
    )
    assert r.status_code == 201
    assert same_graph(
        fresh_service.request("GET", "/store?graph=http://www.example/gsp/person/1.ttl", headers=ACCEPT), JOHN
    )


def test_put_get_uri_pct_encoded_twice(fresh_service: Live) -> None:
    """put_get_uri_pct_encoded_twice: the query string is decoded once: %2531 names …/%31.ttl, not …/1.ttl."""
    jane2 = JANE.replace("person/1>", "person/2>")
    assert (
        fresh_service.request(
            "PUT", "/store?graph=http://www.example/gsp/person/%31.ttl", content=turtle(JOHN), headers=TTL
        ).status_code
        == 201
    )
    assert (
        fresh_service.request(
            "PUT", "/store?graph=http://www.example/gsp/person/%2531.ttl", content=turtle(jane2), headers=TTL
        ).status_code
        == 201
    )
    assert same_graph(
        fresh_service.request("GET", "/store?graph=http://www.example/gsp/person/%31.ttl", headers=ACCEPT),
        JOHN,
    )
    assert same_graph(
        fresh_service.request("GET", "/store?graph=http://www.example/gsp/person/%2531.ttl", headers=ACCEPT),
        jane2,
    )


# -- direct identification where graph IRIs dereference --------------------------------------------------


def test_direct_identification_at_graph_iris(fresh_service: Live) -> None:
    """<base>/graph/contrib/x is where https://w3id.org/iopgraph/graph/contrib/x dereferences: writable there."""
    r = fresh_service.request("PUT", "/graph/contrib/conformance", content=turtle(JOHN), headers=TTL)
    assert r.status_code == 201, r.text
    iri = "https://w3id.org/iopgraph/graph/contrib/conformance"
    assert same_graph(fresh_service.request("GET", "/store", params={"graph": iri}, headers=ACCEPT), JOHN)
    page = fresh_service.request("GET", "/graph/contrib/conformance", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    doc = fresh_service.request(
        "GET", "/graph/contrib/conformance", headers={"Accept": "application/ld+json"}
    )
    assert doc.status_code == 200 and doc.headers["content-type"].startswith("application/ld+json")
    assert fresh_service.request("HEAD", "/graph/contrib/conformance", headers=ACCEPT).status_code == 200
    assert (
        fresh_service.request(
            "POST", "/graph/contrib/conformance", content=turtle(JANE), headers=TTL
        ).status_code
        == 204
    )
    assert fresh_service.request("DELETE", "/graph/contrib/conformance").status_code == 204
    assert fresh_service.request("GET", "/graph/contrib/conformance", headers=ACCEPT).status_code == 404


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
@pytest.mark.parametrize(
    "url",
    [
        "/graph/data/data",
        "/graph/ontology/iop",
        "/graph/provenance",
        "/store?graph=" + quote("https://w3id.org/iopgraph/graph/data/data", safe=""),
    ],
)
def test_protected_graphs_refuse_writes(live_service: Live, method: str, url: str) -> None:
    before = live_service.fingerprint()
    body = {} if method == "DELETE" else {"content": turtle(JOHN), "headers": TTL}
    r = live_service.request(method, url, **body)  # type: ignore[arg-type]
    assert r.status_code == 403 and r.json()["code"] == "protected-graph", r.text
    assert live_service.fingerprint() == before


# -- bad requests: exact statuses, nothing changed ----------------------------------------------------------


@pytest.mark.parametrize(
    "case,method,url,body,headers,status",
    [
        ("turtle syntax error", "PUT", "/store/person/9.ttl", b"<http://a> <http://b> .", TTL, 400),
        (
            "unknown media type",
            "PUT",
            "/store/person/9.ttl",
            b"%PDF-1.4",
            {"Content-Type": "application/pdf"},
            415,
        ),
        ("no media type", "POST", "/store", b"<http://a> <http://b> <http://c> .", {}, 415),
        (
            "quads into a graph",
            "PUT",
            "/store/person/9.ttl",
            b"<http://a> <http://b> <http://c> <http://g> .",
            {"Content-Type": "application/n-quads"},
            415,
        ),
        ("multipart PUT", "PUT", "/store/person/9.ttl", MULTIPART, MULTIPART_TYPE, 415),
        (
            "multipart without RDF",
            "POST",
            "/store/person/9.ttl",
            b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nhello\r\n--b--\r\n',
            {"Content-Type": "multipart/form-data; boundary=b"},
            400,
        ),
        (
            "multipart with one bad part",
            "POST",
            "/store/person/9.ttl",
            MULTIPART.replace(b'foaf:givenName "Jane" .', b'foaf:givenName "Jane" '),
            MULTIPART_TYPE,
            400,
        ),
        ("both graph and default", "PUT", "/store?graph=http://example.org/g&default", b"", TTL, 400),
        (
            "graph not an IRI",
            "PUT",
            "/store?graph=not%20an%20iri",
            b"<http://a> <http://b> <http://c> .",
            TTL,
            400,
        ),
        (
            "direct URL with ?graph",
            "PUT",
            "/store/person/9.ttl?graph=http://example.org/g",
            b"<http://a> <http://b> <http://c> .",
            TTL,
            400,
        ),
        ("PUT without a graph", "PUT", "/store", b"<http://a> <http://b> <http://c> .", TTL, 400),
        ("direct URL without a path", "PUT", "/store/", b"<http://a> <http://b> <http://c> .", TTL, 400),
        ("empty new graph", "POST", "/store", b"@prefix ex: <http://example.org/> .", TTL, 400),
        ("delete a missing graph", "DELETE", "/store/person/missing.ttl", b"", {}, 404),
    ],
)
def test_bad_graph_store_requests(
    live_service: Live, case: str, method: str, url: str, body: bytes, headers: dict[str, str], status: int
) -> None:
    before = live_service.fingerprint()
    r = live_service.request(method, url, content=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json" and r.json()["detail"]
    assert live_service.fingerprint() == before


def test_writes_need_the_token(live_service: Live) -> None:
    before = live_service.fingerprint()
    r = live_service.request("PUT", "/store/person/1.ttl", auth=False, content=turtle(JOHN), headers=TTL)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert live_service.fingerprint() == before


def test_the_shacl_gate_still_decides(fresh_service: Live) -> None:
    before = fresh_service.fingerprint()
    r = fresh_service.request(
        "PUT",
        "/store/project.ttl",
        content=b"<http://example.org/id/p9> a <http://example.org/ns#Project> .",
        headers=TTL,
    )
    assert r.status_code == 422 and r.json()["code"] == "shacl-violation"
    assert fresh_service.fingerprint() == before
