"""The hostile-input catalogue: every input gets its documented 4xx, nothing is fetched, the store is unchanged.

Each refused row names exactly one status and the problem code registered with it
(``iopgraph.core.errors.ERRORS``, docs/errors.md).

One table (:data:`CASES`), one test per row. Each row runs against the same
app over a small fixture store with writes enabled; around every request the
test takes a digest of the whole on-disk dataset and a count through the query
workers, and a loopback :class:`Recorder` stands in for every "remote" host
(SERVICE, FROM, JSON-LD contexts, XML entities), so a request that reaches it
proves the service fetched something it must not.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from iopgraph.core.errors import ERRORS, problem_type
from iopgraph.core.settings import Settings
from support.project import build_project
from support.reliability import TOKEN, Recorder, dataset_fingerprint, record

BASE_URL = "http://testserver"
PLACEHOLDER = "RECORDER"  # replaced by the recorder's base URL in every case
GRAPH = "https://w3id.org/iopgraph/graph/test/hostile"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
MB = 1_000_000
RESULTS_JSON = "application/sparql-results+json"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SECRET_MARKERS = ("root:x:0:0", "[project]", "Traceback", 'File "/')


@dataclass(frozen=True)
class Case:
    """One hostile request and what the service must answer."""

    id: str
    method: str
    path: str
    status: int
    code: str | None = None  # required for every 4xx/5xx: the status is the one the code is registered with
    params: dict[str, Any] | list[tuple[str, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Callable[[], bytes | Iterator[bytes]] | None = None
    check: Callable[[Any], None] | None = None


def sparql_form(query: str) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def no_rows(response: Any) -> None:
    assert response.json()["results"]["bindings"] == [], response.text


def parsed_whole(response: Any) -> None:
    report = response.json()  # a deep but valid nesting is read completely (no recursion limit hit)
    assert report["conforms"] is True and report["triples"] > 50_000, response.text[:300]


def ran_the_named_query(response: Any) -> None:
    assert response.json()["head"]["vars"][0] == "mitigation", response.text[:300]  # not the `query` given


def no_injected_header(response: Any) -> None:
    assert "set-cookie" not in response.headers and "x-injected" not in response.headers


def nested(depth: int, open_: str, close: str, inner: str) -> str:
    return open_ * depth + inner + close * depth


def chunked(
    total: int, head: bytes = b'<http://example.org/s> <http://example.org/p> "'
) -> Callable[[], Iterator[bytes]]:
    def generate() -> Iterator[bytes]:
        yield head
        sent = len(head)
        while sent < total:
            yield b"x" * 1_000_000
            sent += 1_000_000
        yield b'" .\n'

    return generate


XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/s"><ex:p>&xxe;</ex:p></rdf:Description>
</rdf:RDF>"""
XXE_HTTP = XXE_FILE.replace(b"file:///etc/passwd", b"RECORDER/entity")
XXE_PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY % remote SYSTEM "RECORDER/dtd"> %remote; ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>"""
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    b'xmlns:ex="http://example.org/">\n<rdf:Description rdf:about="http://example.org/s">'
    b"<ex:p>&lol9;</ex:p></rdf:Description></rdf:RDF>"
)
TTL = {"Content-Type": "text/turtle"}
RDFXML = {"Content-Type": "application/rdf+xml"}
JSONLD = {"Content-Type": "application/ld+json"}

CASES: list[Case] = [
    # --- malformed SPARQL --------------------------------------------------------------------------
    Case(
        "sparql-unbalanced-braces",
        "GET",
        "/sparql",
        400,
        "sparql-syntax-error",
        params={"query": "SELECT * WHERE { ?s ?p ?o "},
    ),
    Case(
        "sparql-unbalanced-closing",
        "GET",
        "/sparql",
        400,
        "sparql-syntax-error",
        params={"query": "SELECT * WHERE { ?s ?p ?o } } }"},
    ),
    Case(
        "sparql-deep-group-nesting",
        "POST",
        "/sparql",
        400,
        "sparql-syntax-error",
        headers={"Content-Type": "application/sparql-query"},
        body=("SELECT * WHERE " + nested(5000, "{ ", "} ", "?s ?p ?o ")).encode(),
    ),
    Case(
        "sparql-deep-expression-nesting",
        "POST",
        "/sparql",
        400,
        "sparql-syntax-error",
        headers={"Content-Type": "application/sparql-query"},
        body=("SELECT * WHERE { ?s ?p ?o FILTER" + nested(20000, "(", ")", "1") + " }").encode(),
    ),
    Case(
        "sparql-deep-blank-node-nesting",
        "POST",
        "/sparql",
        400,
        "sparql-syntax-error",
        headers={"Content-Type": "application/sparql-query"},
        body=(
            "SELECT * WHERE { ?s <http://example.org/p> "
            + nested(1000, "[ <http://example.org/p> ", "] ", "1 ")
            + "}"
        ).encode(),
    ),
    Case(
        "sparql-1mb-literal-over-the-limit",
        "POST",
        "/sparql",
        413,
        "query-too-large",
        headers={"Content-Type": "application/sparql-query"},
        body=b'SELECT * WHERE { ?s ?p "' + b"x" * MB + b'" }',
    ),
    Case(
        "sparql-almost-1mb-literal",
        "POST",
        "/sparql",
        200,
        headers={"Content-Type": "application/sparql-query", "Accept": RESULTS_JSON},
        body=b'SELECT * WHERE { ?s ?p "' + b"x" * (MB - 100) + b'" }',
        check=no_rows,
    ),
    Case(
        "sparql-not-utf8",
        "POST",
        "/sparql",
        400,
        "bad-sparql-request",
        headers={"Content-Type": "application/sparql-query"},
        body='SELECT * WHERE { ?s ?p "é" }'.encode("latin-1"),
    ),
    # A NUL is a valid character of a SPARQL string literal: the query runs and matches nothing.
    Case(
        "sparql-nul-byte",
        "GET",
        "/sparql",
        200,
        params={"query": 'SELECT * WHERE { ?s ?p "\x00" }'},
        headers={"Accept": RESULTS_JSON},
        check=no_rows,
    ),
    Case(
        "sparql-two-query-parameters",
        "GET",
        "/sparql",
        400,
        "bad-sparql-request",
        params=[("query", "ASK {}"), ("query", "SELECT * {}")],
    ),
    # --- SERVICE, LOAD, FROM: nothing is ever fetched ------------------------------------------------
    Case(
        "service-loopback",
        "GET",
        "/sparql",
        403,
        "service-not-allowed",
        params={"query": "SELECT * WHERE { SERVICE <RECORDER/sparql> { ?s ?p ?o } }"},
    ),
    Case(
        "service-silent-loopback",
        "GET",
        "/sparql",
        403,
        "service-not-allowed",
        params={"query": "SELECT * WHERE { SERVICE SILENT <RECORDER/sparql> { ?s ?p ?o } }"},
    ),
    Case(
        "service-file",
        "GET",
        "/sparql",
        403,
        "service-not-allowed",
        params={"query": "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }"},
    ),
    Case(
        "service-cloud-metadata",
        "GET",
        "/sparql",
        403,
        "service-not-allowed",
        params={
            "query": "SELECT * WHERE { SERVICE <http://169.254.169.254/latest/meta-data/> { ?s ?p ?o } }"
        },
    ),
    Case(
        "service-variable-endpoint",
        "GET",
        "/sparql",
        403,
        "service-not-allowed",
        params={"query": "SELECT * WHERE { BIND(<RECORDER/> AS ?e) SERVICE ?e { ?s ?p ?o } }"},
    ),
    # past the text check (the escape makes the lexer read the rest of the line as a comment): the
    # sandboxed worker has no network, so the fetch fails where it would happen
    Case(
        "service-escaped-hash-prefixed-name",
        "GET",
        "/sparql",
        502,
        "service-unreachable",
        params={
            "query": "PREFIX ex: <http://example.org/>\nSELECT * WHERE { VALUES ?q { ex:a\\#b } "
            "SERVICE <RECORDER/x> { ?x ?y ?z } }"
        },
    ),
    Case(
        "service-escaped-hash-silent",
        "GET",
        "/sparql",
        200,
        params={
            "query": "PREFIX ex: <http://example.org/>\nSELECT * WHERE { VALUES ?q { ex:a\\#b } "
            "SERVICE SILENT <RECORDER/x> { ?x ?y ?z } }"
        },
    ),
    Case(
        "union-30000-branches",
        "POST",
        "/sparql",
        400,
        "query-too-complex",
        headers={"Content-Type": "application/sparql-query"},
        body=(
            "SELECT * WHERE { " + " UNION ".join(f"{{ ?s ?p {i} }}" for i in range(30_000)) + " }"
        ).encode(),
    ),
    Case(
        "sum-150000-terms",
        "POST",
        "/sparql",
        400,
        "query-too-complex",
        headers={"Content-Type": "application/sparql-query"},
        body=("SELECT (" + "+".join(["1"] * 150_000) + " AS ?x) WHERE {}").encode(),
    ),
    Case(
        "collection-filter-repeated-200-times",
        "GET",
        "/api/challenges",
        200,
        params=[("family", "cultural-interoperability")] * 200,
    ),
    Case(
        "collection-11-distinct-filters",
        "GET",
        "/api/challenges",
        400,
        "invalid-parameter",
        params=[("family", f"family-{i}") for i in range(11)],
    ),
    Case(
        "service-lowercase-in-subquery",
        "GET",
        "/sparql",
        403,
        "service-not-allowed",
        params={"query": "select * where { { select * where { service <RECORDER/x> { ?s ?p ?o } } } }"},
    ),
    Case(
        "load-on-query-endpoint",
        "GET",
        "/sparql",
        403,
        "update-refused",
        params={"query": "LOAD <RECORDER/data.ttl>"},
    ),
    Case(
        "load-as-form-query",
        "POST",
        "/sparql",
        403,
        "update-refused",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"query=LOAD%20%3CRECORDER%2Fdata.ttl%3E%20INTO%20GRAPH%20%3Curn%3Ax%3E",
    ),
    Case(
        "from-remote-graph",
        "GET",
        "/sparql",
        200,
        params={"query": "SELECT * FROM <RECORDER/graph.ttl> WHERE { ?s ?p ?o }"},
        headers={"Accept": RESULTS_JSON},
        check=no_rows,
    ),
    Case(
        "from-named-remote-graph",
        "GET",
        "/sparql",
        200,
        params={"query": "SELECT * FROM NAMED <RECORDER/g.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }"},
        headers={"Accept": RESULTS_JSON},
        check=no_rows,
    ),
    Case(
        "from-file-iri",
        "GET",
        "/sparql",
        200,
        params={"query": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }"},
        headers={"Accept": RESULTS_JSON},
        check=no_rows,
    ),
    Case(
        "default-graph-uri-remote",
        "GET",
        "/sparql",
        200,
        params={"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "RECORDER/graph.ttl"},
        headers={"Accept": RESULTS_JSON},
        check=no_rows,
    ),
    Case(
        "named-graph-uri-file",
        "GET",
        "/sparql",
        200,
        params={"query": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": "file:///etc/passwd"},
        headers={"Accept": RESULTS_JSON},
        check=no_rows,
    ),
    Case(
        "named-graph-uri-not-an-iri",
        "GET",
        "/sparql",
        400,
        "bad-sparql-request",
        params={"query": "ASK { }", "named-graph-uri": "Infinity \u00e9"},
    ),
    # --- updates smuggled into the read endpoint ------------------------------------------------------
    Case(
        "update-in-query-parameter",
        "GET",
        "/sparql",
        403,
        "update-refused",
        params={"query": f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:a> <urn:b> <urn:c> }} }}"},
    ),
    Case(
        "drop-all-in-query-parameter", "GET", "/sparql", 403, "update-refused", params={"query": "DROP ALL"}
    ),
    Case(
        "update-after-a-query",
        "GET",
        "/sparql",
        403,
        "update-refused",
        params={"query": "SELECT * WHERE { ?s ?p ?o } ; DROP ALL"},
    ),
    Case(
        "update-parameter-on-query-endpoint",
        "POST",
        "/sparql",
        403,
        "update-refused",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"update=DROP%20ALL",
    ),
    Case(
        "update-media-type-on-query-endpoint",
        "POST",
        "/sparql",
        403,
        "update-refused",
        headers={"Content-Type": "application/sparql-update"},
        body=b"DROP ALL",
    ),
    # --- RDF uploads: entities, remote contexts, huge literals, nesting, charsets ---------------------
    Case(
        "rdfxml-external-file-entity",
        "POST",
        "/api/validate",
        400,
        "rdf-syntax-error",
        headers=RDFXML,
        body=XXE_FILE,
    ),
    Case(
        "rdfxml-external-http-entity",
        "POST",
        "/api/validate",
        400,
        "rdf-syntax-error",
        headers=RDFXML,
        body=XXE_HTTP,
    ),
    Case(
        "rdfxml-parameter-entity",
        "POST",
        "/api/validate",
        400,
        "rdf-syntax-error",
        headers=RDFXML,
        body=XXE_PARAMETER,
    ),
    Case(
        "rdfxml-billion-laughs",
        "POST",
        "/api/validate",
        400,
        "rdf-syntax-error",
        headers=RDFXML,
        body=BILLION_LAUGHS,
    ),
    Case(
        "rdfxml-billion-laughs-write",
        "PUT",
        "/store",
        400,
        "rdf-syntax-error",
        params={"graph": GRAPH},
        headers={**RDFXML, **AUTH},
        body=BILLION_LAUGHS,
    ),
    Case(
        "rdfxml-external-entity-write",
        "PUT",
        "/store",
        400,
        "rdf-syntax-error",
        params={"graph": GRAPH},
        headers={**RDFXML, **AUTH},
        body=XXE_FILE,
    ),
    Case(
        "jsonld-remote-context",
        "POST",
        "/api/validate",
        400,
        "rdf-syntax-error",
        headers=JSONLD,
        body=b'{"@context": "RECORDER/context.jsonld", "@id": "http://example.org/s", "p": "v"}',
    ),
    Case(
        "jsonld-remote-context-in-array",
        "POST",
        "/api/validate",
        400,
        "rdf-syntax-error",
        headers=JSONLD,
        body=b'{"@context": [{"@vocab": "http://example.org/"}, "RECORDER/c2"], "@id": "http://example.org/s"}',
    ),
    Case(
        "jsonld-import",
        "POST",
        "/api/validate",
        400,
        "rdf-syntax-error",
        headers=JSONLD,
        body=b'{"@context": {"@version": 1.1, "@import": "RECORDER/import.jsonld"}, "@id": "http://example.org/s"}',
    ),
    Case(
        "jsonld-remote-context-write",
        "POST",
        "/store",
        400,
        "rdf-syntax-error",
        headers={**JSONLD, **AUTH},
        body=b'{"@context": "RECORDER/context.jsonld", "@id": "http://example.org/s", "p": "v"}',
    ),
    Case(
        "jsonld-deep-nesting",
        "POST",
        "/api/validate",
        400,
        "rdf-syntax-error",
        headers=JSONLD,
        body=(
            '{"@id": "http://example.org/s", "http://example.org/p": ' + nested(10000, "[", "]", "1") + "}"
        ).encode(),
    ),
    Case(
        "turtle-100mb-literal-declared",
        "POST",
        "/api/validate",
        413,
        "payload-too-large",
        headers=TTL,
        body=lambda: b'<http://example.org/s> <http://example.org/p> "' + b"x" * (100 * MB) + b'" .',
    ),
    Case(
        "turtle-100mb-literal-streamed",
        "POST",
        "/store",
        413,
        "payload-too-large",
        params={"graph": GRAPH},
        headers={**TTL, **AUTH},
        body=chunked(100 * MB),
    ),
    Case(
        "turtle-deep-blank-node-nesting",
        "POST",
        "/api/validate",
        200,
        headers=TTL,
        body=(
            "<http://example.org/s> <http://example.org/p> "
            + nested(50000, "[ <http://example.org/p> ", "] ", "1 ")
            + "."
        ).encode(),
        check=parsed_whole,
    ),
    Case(
        "turtle-deep-collection-nesting",
        "POST",
        "/api/validate",
        200,
        headers=TTL,
        body=(
            "<http://example.org/s> <http://example.org/p> " + nested(50000, "( ", ") ", "1 ") + "."
        ).encode(),
        check=parsed_whole,
    ),
    Case(
        "turtle-latin1-declared-as-latin1",
        "POST",
        "/api/validate",
        400,
        "rdf-syntax-error",
        headers={"Content-Type": "text/turtle; charset=ISO-8859-1"},
        body='<http://example.org/s> <http://example.org/p> "café" .'.encode("latin-1"),
    ),
    Case(
        "turtle-utf16",
        "POST",
        "/api/validate",
        400,
        "rdf-syntax-error",
        headers=TTL,
        body='<http://example.org/s> <http://example.org/p> "x" .'.encode("utf-16"),
    ),
    Case(
        "turtle-gzip-bomb-as-turtle",
        "POST",
        "/api/validate",
        400,
        "rdf-syntax-error",
        headers=TTL,
        body=lambda: gzip.compress(b"\0" * (50 * MB)),
    ),
    Case(
        "rdf-unknown-media-type",
        "POST",
        "/api/validate",
        415,
        "unsupported-media-type",
        headers={"Content-Type": "application/x-evil"},
        body=b"<a> <b> <c> .",
    ),
    Case(
        "rdf-write-unknown-media-type",
        "PUT",
        "/store",
        415,
        "unsupported-media-type",
        params={"graph": GRAPH},
        headers={"Content-Type": "text/html", **AUTH},
        body=b"<script>alert(1)</script>",
    ),
    Case(
        "store-graph-not-an-iri",
        "PUT",
        "/store",
        400,
        "bad-input",
        params={"graph": "not an iri"},
        headers={**TTL, **AUTH},
        body=b"<http://example.org/s> <http://example.org/p> 1 .",
    ),
    Case(
        "update-load",
        "POST",
        "/update",
        400,
        "update-not-allowed",
        headers={"Content-Type": "application/sparql-update", **AUTH},
        body=b"LOAD <RECORDER/data.ttl>",
    ),
    Case(
        "update-service",
        "POST",
        "/update",
        400,
        "update-not-allowed",
        headers={"Content-Type": "application/sparql-update", **AUTH},
        body=f"INSERT {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <RECORDER/s> {{ ?s ?p ?o }} }}".encode(),
    ),
    # USING names a graph of the store (here an empty one), never a document to fetch: 204, nothing changes.
    Case(
        "update-using-remote",
        "POST",
        "/update",
        204,
        headers={"Content-Type": "application/sparql-update", **AUTH},
        body=f"INSERT {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }} USING <RECORDER/g> WHERE {{ ?s ?p ?o }}".encode(),
    ),
    Case(
        "update-deep-nesting",
        "POST",
        "/update",
        400,
        "invalid-update",
        headers={"Content-Type": "application/sparql-update", **AUTH},
        body=(
            f"INSERT {{ GRAPH <{GRAPH}> {{ <urn:a> <urn:b> <urn:c> }} }} WHERE "
            + nested(5000, "{ ", "} ", "?s ?p ?o ")
        ).encode(),
    ),
    Case(
        "update-malformed",
        "POST",
        "/update",
        400,
        "invalid-update",
        headers={"Content-Type": "application/sparql-update", **AUTH},
        body=b"INSERT DATA { <a> <b> ",
    ),
    Case(
        "update-shacl-invalid",
        "POST",
        "/update",
        422,
        "shacl-violation",
        headers={"Content-Type": "application/sparql-update", **AUTH},
        body=f"""INSERT DATA {{ GRAPH <{GRAPH}> {{
             <https://w3id.org/iopgraph/id/mitigation/hostile> a <https://w3id.org/iopgraph/ontology#Mitigation> .
         }} }}""".encode(),
    ),
    # --- header injection, conneg abuse ------------------------------------------------------------
    Case(
        "format-with-crlf",
        "GET",
        "/sparql",
        406,
        "not-acceptable",
        params={"query": COUNT, "format": "json\r\nSet-Cookie: a=b"},
        check=no_injected_header,
    ),
    Case(
        "format-media-type-with-crlf",
        "GET",
        "/id/no-such",
        406,
        "not-acceptable",
        params={"format": "text/turtle\r\nX-Injected: 1"},
        check=no_injected_header,
    ),
    Case(
        "accept-garbage-q",
        "GET",
        "/sparql",
        406,
        "not-acceptable",
        params={"query": COUNT},
        headers={"Accept": "application/sparql-results+json;q=abc, */*;q=-1"},
    ),
    Case(
        "accept-huge-list",
        "GET",
        "/sparql",
        431,
        "header-too-large",
        params={"query": COUNT},
        headers={"Accept": ", ".join(f"application/x-{i};q=0.{i % 10}" for i in range(2000))},
    ),
    Case(
        "accept-long-but-allowed",
        "GET",
        "/sparql",
        406,
        "not-acceptable",
        params={"query": COUNT},
        headers={"Accept": ", ".join(f"application/x-{i};q=0.{i % 10}" for i in range(300))},
    ),
    Case(
        "content-type-garbage",
        "POST",
        "/sparql",
        415,
        "unsupported-media-type",
        headers={"Content-Type": 'application/sparql-query\x7f; charset="utf-8'},
        body=COUNT.encode(),
    ),
    # --- path traversal ----------------------------------------------------------------------------
    Case("traversal-id-dotdot", "GET", "/id/../../etc/passwd", 404, "not-found"),
    Case("traversal-id-encoded", "GET", "/id/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 404, "resource-not-found"),
    Case("traversal-dump-encoded", "GET", "/dumps/..%2f..%2f..%2fpyproject.toml", 404, "not-found"),
    Case("traversal-dump-double-encoded", "GET", "/dumps/%252e%252e%252fpyproject.toml", 404, "not-found"),
    Case("traversal-dump-absolute", "GET", "/dumps/%2fetc%2fpasswd", 404, "not-found"),
    Case("traversal-editor-asset", "GET", "/sparql/assets/..%2f..%2f..%2fpyproject.toml", 404, "not-found"),
    Case("traversal-static", "GET", "/static/..%2f..%2fpyproject.toml", 404, "not-found"),
    Case("traversal-context", "GET", "/context/..%2f..%2fconfig.py", 404, "not-found"),
    Case("traversal-ldes", "GET", "/ldes/fragment/..%2f..%2fpyproject.toml", 404, "not-found"),
    Case("traversal-named-query", "GET", "/api/queries/..%2f..%2fpyproject.toml", 404, "not-found"),
    Case("traversal-graph-nul", "GET", "/graph/%00/etc/passwd", 404, "resource-not-found"),
    Case(
        "non-latin1-path-echoed-in-headers",
        "GET",
        "/ontology/%22%F3%A0%9A%B1%F0%9F%98%80",
        200,
        headers={"Accept": "text/turtle"},
    ),
    # --- named-query parameters carrying SPARQL -----------------------------------------------------
    Case(
        "named-query-param-sparql-injection",
        "GET",
        "/api/queries/mitigations-for-challenge",
        400,
        "invalid-parameter",
        params={"challenge": '"> } ; DROP ALL #'},
    ),
    Case(
        "named-query-param-closing-iri",
        "GET",
        "/api/queries/mitigations-for-challenge",
        400,
        "invalid-parameter",
        params={"challenge": "https://w3id.org/iopgraph/x> } UNION { ?s ?p ?o } #"},
    ),
    Case(
        "named-query-param-service",
        "GET",
        "/api/queries/mitigations-for-challenge",
        400,
        "invalid-parameter",
        params={"challenge": "RECORDER/x> } SERVICE <RECORDER/s> { ?a ?b ?c } #"},
    ),
    Case(
        "named-query-unknown-param",
        "GET",
        "/api/queries/mitigations-for-challenge",
        200,
        params={
            "challenge": "https://w3id.org/iopgraph/concept/challenge/lack-of-trust",
            "query": "DROP ALL",
        },
        check=ran_the_named_query,
    ),
    # --- writes without, with wrong, or with almost-right tokens ------------------------------------
    Case(
        "write-no-token",
        "PUT",
        "/store",
        401,
        "unauthorized",
        params={"graph": GRAPH},
        headers=TTL,
        body=b"<http://example.org/s> <http://example.org/p> 1 .",
    ),
    Case(
        "write-wrong-token",
        "PUT",
        "/store",
        403,
        "forbidden",
        params={"graph": GRAPH},
        headers={**TTL, "Authorization": "Bearer not-the-token-at-all-0000000"},
        body=b"<http://example.org/s> <http://example.org/p> 1 .",
    ),
    Case(
        "write-token-one-char-off",
        "PUT",
        "/store",
        403,
        "forbidden",
        params={"graph": GRAPH},
        headers={**TTL, "Authorization": f"Bearer {TOKEN[:-1]}g"},
        body=b"<http://example.org/s> <http://example.org/p> 1 .",
    ),
    Case(
        "write-token-prefix",
        "PUT",
        "/store",
        403,
        "forbidden",
        params={"graph": GRAPH},
        headers={**TTL, "Authorization": f"Bearer {TOKEN[:-1]}"},
        body=b"<http://example.org/s> <http://example.org/p> 1 .",
    ),
    Case(
        "write-token-extended",
        "PUT",
        "/store",
        403,
        "forbidden",
        params={"graph": GRAPH},
        headers={**TTL, "Authorization": f"Bearer {TOKEN}0"},
        body=b"<http://example.org/s> <http://example.org/p> 1 .",
    ),
    Case(
        "write-token-upper-case",
        "PUT",
        "/store",
        403,
        "forbidden",
        params={"graph": GRAPH},
        headers={**TTL, "Authorization": f"Bearer {TOKEN.upper()}"},
        body=b"<http://example.org/s> <http://example.org/p> 1 .",
    ),
    Case(
        "write-token-as-basic",
        "PUT",
        "/store",
        401,
        "unauthorized",
        params={"graph": GRAPH},
        headers={**TTL, "Authorization": f"Basic {TOKEN}"},
        body=b"<http://example.org/s> <http://example.org/p> 1 .",
    ),
    Case(
        "write-token-in-query-string",
        "PUT",
        "/store",
        401,
        "unauthorized",
        params={"graph": GRAPH, "access_token": TOKEN},
        headers=TTL,
        body=b"<http://example.org/s> <http://example.org/p> 1 .",
    ),
    Case(
        "write-empty-bearer",
        "DELETE",
        "/store",
        401,
        "unauthorized",
        params={"graph": GRAPH},
        headers={"Authorization": "Bearer "},
    ),
    Case(
        "update-no-token",
        "POST",
        "/update",
        401,
        "unauthorized",
        headers={"Content-Type": "application/sparql-update"},
        body=b"DROP ALL",
    ),
    Case(
        "update-wrong-token",
        "POST",
        "/update",
        403,
        "forbidden",
        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer x" * 3},
        body=b"DROP ALL",
    ),
    Case(
        "delete-wrong-token",
        "DELETE",
        "/store",
        403,
        "forbidden",
        params={"graph": GRAPH},
        headers={"Authorization": f"Bearer {TOKEN[1:]}"},
    ),
    # --- methods -------------------------------------------------------------------------------------
    Case("method-propfind", "PROPFIND", "/sparql", 405, "method-not-allowed"),
    Case("method-trace", "TRACE", "/", 405, "method-not-allowed"),
    Case(
        "method-put-on-sparql",
        "PUT",
        "/sparql",
        405,
        "method-not-allowed",
        body=b"DROP ALL",
        headers={"Content-Type": "application/sparql-update"},
    ),
]


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    with Recorder() as rec:
        yield rec


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("hostile")
    settings = Settings(
        root=build_project(folder),
        store_path=folder / "store",
        query_workers=1,
        base_url=BASE_URL,
        write_token=TOKEN,
        query_timeout=20,
        validation_timeout=180,  # the deep-nesting rows take seconds alone, more on a loaded machine
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def snapshot(client: TestClient) -> tuple[str, int]:
    """The digest of the on-disk dataset and the triple count the query workers see."""
    store = client.app.state.context.backend.store  # type: ignore[attr-defined]
    response = client.get("/sparql", params={"query": COUNT}, headers={"Accept": RESULTS_JSON})
    assert response.status_code == 200, response.text
    return dataset_fingerprint(store), int(response.json()["results"]["bindings"][0]["n"]["value"])


def substitute(value: Any, url: str) -> Any:
    if isinstance(value, str):
        return value.replace(PLACEHOLDER, url)
    if isinstance(value, bytes):
        return value.replace(PLACEHOLDER.encode(), url.encode())
    if isinstance(value, dict):
        return {k: substitute(v, url) for k, v in value.items()}
    if isinstance(value, list):
        return [(k, substitute(v, url)) for k, v in value]
    return value


_TRIED: list[str] = []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused_and_changes_nothing(
    case: Case, app_client: TestClient, recorder: Recorder
) -> None:
    before = snapshot(app_client)
    body = case.body() if callable(case.body) else case.body
    response = app_client.request(
        case.method,
        substitute(case.path, recorder.url),
        params=substitute(case.params, recorder.url),
        headers=substitute(case.headers, recorder.url),
        content=substitute(body, recorder.url),
    )
    _TRIED.append(case.id)
    record("hostile inputs", inputs_tried=len(_TRIED))
    assert response.status_code == case.status, f"{response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        assert case.code and ERRORS[case.code].status == case.status, "a refusal names its registered code"
        assert response.headers["content-type"] == "application/problem+json", response.headers
        problem = response.json()
        assert problem["status"] == response.status_code and problem["detail"]
        assert problem["code"] == case.code, problem
        assert problem["type"] == problem_type(case.code, BASE_URL), problem
    for marker in SECRET_MARKERS:
        assert marker not in response.text, f"the response leaks {marker!r}"
    if case.check:
        case.check(response)
    assert recorder.requests == [], f"the service fetched {recorder.requests}"
    assert snapshot(app_client) == before, "the store changed"


def test_every_write_token_comparison_is_constant_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Tokens are compared with hmac.compare_digest, against every configured token (no early exit)."""
    import hmac

    from iopgraph.stewardship import auth

    token_file = tmp_path / "tokens"
    token_file.write_text(f"city-a {TOKEN}\ncity-b {'b' * 40}\n# a comment\n")
    tokens = auth.WriteTokens.from_settings(Settings(root=tmp_path, write_token_file=token_file))
    calls: list[tuple[bytes, bytes]] = []

    compare_digest = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return compare_digest(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert tokens.authenticate(f"Bearer {TOKEN}") == "city-a"
    assert len(calls) == 2  # the first token matched, the second was still compared
    with pytest.raises(auth.Forbidden):
        tokens.authenticate(f"Bearer {TOKEN[:-1]}")
    assert len(calls) == 4
