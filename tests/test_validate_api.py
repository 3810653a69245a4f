"""POST /api/validate and the upload page GET /validate (issue 5).

Verdicts agree with pySHACL run directly on the same input, the ontology and
the shapes; every bad input gets its own status and leaves the store unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.namespace import RDF, SH

from iopgraph.app import create_app
from support.steward import FIXTURE, INVALID_PROJECT, PREFIXES, VALID_PROJECT, dump, settings_for


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("validate")
    with TestClient(create_app(settings_for(folder, max_upload_bytes=50_000))) as c:
        yield c


def direct(turtle: str) -> tuple[bool, set[tuple[str, str]]]:
    """pySHACL on the upload + the fixture ontology, with the fixture shapes: (conforms, {(focus, component)})."""
    data = rdflib.Graph().parse(data=turtle, format="turtle")
    data.parse(FIXTURE / "ontology" / "mini.ttl")
    shapes = rdflib.Graph().parse(FIXTURE / "shapes" / "mini.ttl")
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, advanced=True, allow_warnings=True)
    assert isinstance(report, rdflib.Graph)
    results = {
        (
            str(report.value(r, SH.focusNode)),
            str(report.value(r, SH.sourceConstraintComponent)).rsplit("#")[-1],
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
        if report.value(r, SH.resultSeverity) == SH.Violation
    }
    return bool(conforms), results


SAMPLES = {
    "valid": VALID_PROJECT.replace(
        "id:ghent ; ex:lead id:org1 ; ex:addresses id:c2", "id:gent ; ex:lead id:org9 ; ex:addresses id:c9"
    )
    + 'id:gent a ex:City . id:org9 a ex:Organisation ; rdfs:label "O"@en ; ex:basedIn id:gent . '
    'id:c9 a ex:Family ; skos:prefLabel "F"@en .',
    "invalid": INVALID_PROJECT,
    "dangling links": VALID_PROJECT,  # ghent, org1 and c2 are not in the upload: class constraints fail
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_verdict_agrees_with_pyshacl(client: TestClient, name: str) -> None:
    text = SAMPLES[name]
    r = client.post("/api/validate", content=text, headers={"Content-Type": "text/turtle"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    conforms, results = direct(text)
    assert body["conforms"] is conforms
    ours = {(x["focus_node"], x["constraint"]) for x in body["results"] if x["severity"] == "Violation"}
    assert ours == results
    assert body["violations"] == len([x for x in body["results"] if x["severity"] == "Violation"])
    assert body["syntax"] == "text/turtle" and body["triples"] > 0


def test_invalid_upload_names_focus_path_value_message(client: TestClient) -> None:
    body = client.post(
        "/api/validate", content=INVALID_PROJECT, headers={"Content-Type": "text/turtle"}
    ).json()
    assert body["conforms"] is False
    city = [
        x
        for x in body["results"]
        if x["constraint"] == "ClassConstraintComponent"
        and x["focus_node"] == "http://example.org/id/p3"
        and "city" in (x["path"] or "")
    ]
    assert city and city[0]["message"] == "A project is in a place."
    assert city[0]["value"].endswith("org1>") or city[0]["value"].endswith("org1")


def as_format(text: str, fmt: ox.RdfFormat) -> bytes:
    return ox.serialize(list(ox.parse(text.encode(), ox.RdfFormat.TURTLE)), format=fmt) or b""


@pytest.mark.parametrize(
    "media_type,fmt",
    [
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/trig", ox.RdfFormat.TRIG),
        ("application/n-quads", ox.RdfFormat.N_QUADS),
    ],
)
def test_every_syntax_gives_the_same_verdict(client: TestClient, media_type: str, fmt: ox.RdfFormat) -> None:
    body = as_format(INVALID_PROJECT, fmt)
    r = client.post("/api/validate", content=body, headers={"Content-Type": media_type})
    assert r.status_code == 200, r.text
    turtle = client.post(
        "/api/validate", content=INVALID_PROJECT, headers={"Content-Type": "text/turtle"}
    ).json()
    assert {(x["focus_node"], x["constraint"]) for x in r.json()["results"]} == {
        (x["focus_node"], x["constraint"]) for x in turtle["results"]
    }


def test_multipart_file_upload(client: TestClient) -> None:
    files = {"file": ("new-project.ttl", INVALID_PROJECT.encode(), "application/octet-stream")}
    r = client.post("/api/validate", files=files)
    assert r.status_code == 200, r.text
    assert r.json()["conforms"] is False and r.json()["source"] == "new-project.ttl"


@pytest.mark.parametrize(
    "accept,fmt",
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ],
)
def test_shacl_report_as_rdf(client: TestClient, accept: str, fmt: ox.RdfFormat) -> None:
    r = client.post(
        "/api/validate", content=INVALID_PROJECT, headers={"Content-Type": "text/turtle", "Accept": accept}
    )
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == accept
    assert r.headers["vary"] == "Accept"
    graph = rdflib.Graph().parse(
        data=r.content,
        format={"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt"}[
            accept
        ],
    )
    report = next(graph.subjects(RDF.type, SH.ValidationReport))
    assert graph.value(report, SH.conforms) == rdflib.Literal(False)
    focus = {str(o) for o in graph.objects(None, SH.focusNode)}
    assert "http://example.org/id/p3" in focus


def test_json_ld_report_reads_with_an_independent_processor(client: TestClient) -> None:
    from pyld import jsonld

    r = client.post(
        "/api/validate",
        content=INVALID_PROJECT,
        headers={"Content-Type": "text/turtle", "Accept": "application/ld+json"},
    )
    expanded = jsonld.expand(json.loads(r.content))
    types = {t for node in expanded for t in node.get("@type", [])}
    assert str(SH.ValidationReport) in types and str(SH.ValidationResult) in types


def test_with_current_graph_links_resolve(client: TestClient) -> None:
    """Alone, the project's links dangle; with the current graph they resolve and it conforms."""
    alone = client.post(
        "/api/validate", content=VALID_PROJECT, headers={"Content-Type": "text/turtle"}
    ).json()
    assert alone["conforms"] is False
    r = client.post(
        "/api/validate?current=true", content=VALID_PROJECT, headers={"Content-Type": "text/turtle"}
    )
    assert r.status_code == 200 and r.json()["conforms"] is True, r.text
    assert r.json()["mode"].startswith("with-current")
    bad = client.post(
        "/api/validate?current=true", content=INVALID_PROJECT, headers={"Content-Type": "text/turtle"}
    ).json()
    assert bad["conforms"] is False


BAD_INPUTS = {
    "unparseable turtle": (
        b'@prefix ex: <http://example.org/> .\nex:a ex:b "unterminated .\n',
        "text/turtle",
        400,
        "rdf-syntax-error",
    ),
    "unknown media type": (b"hello", "application/pdf", 415, "unsupported-media-type"),
    "no content type": (b"<a> <b> <c> .", "", 415, "unsupported-media-type"),
    "too large": (b"#" * 60_000, "text/turtle", 413, "payload-too-large"),
    "remote json-ld context": (
        b'{"@context": "http://example.org/ctx.jsonld", "@id": "http://example.org/a"}',
        "application/ld+json",
        400,
        "rdf-syntax-error",
    ),
    "xml external entity": (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
        "application/rdf+xml",
        400,
        "rdf-syntax-error",
    ),
    "not utf-8": (b'<http://a> <http://b> "\xff\xfe" .', "application/n-triples", 400, "rdf-syntax-error"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_gets_a_specific_error_and_stores_nothing(client: TestClient, name: str) -> None:
    body, media_type, status, code = BAD_INPUTS[name]
    store: ox.Store = client.app.state.context.backend.store  # type: ignore[attr-defined]
    before = dump(store)
    headers = {"Content-Type": media_type} if media_type else {}
    r = client.post("/api/validate", content=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == code
    assert dump(store) == before


def test_syntax_error_names_line_and_column(client: TestClient) -> None:
    text = PREFIXES + '\nid:x a ex:Project ;\n    rdfs:label "ok"@en ;\n    ex:city id:ghent id:extra .\n'
    r = client.post("/api/validate", content=text, headers={"Content-Type": "text/turtle"})
    assert r.status_code == 400
    assert "line 9" in r.json()["detail"]


def test_valid_upload_stores_nothing(client: TestClient) -> None:
    store: ox.Store = client.app.state.context.backend.store  # type: ignore[attr-defined]
    before = dump(store)
    assert (
        client.post(
            "/api/validate?current=true", content=VALID_PROJECT, headers={"Content-Type": "text/turtle"}
        ).status_code
        == 200
    )
    assert dump(store) == before


def test_not_acceptable(client: TestClient) -> None:
    r = client.post(
        "/api/validate", content=VALID_PROJECT, headers={"Content-Type": "text/turtle", "Accept": "image/png"}
    )
    assert r.status_code == 406


def test_upload_page_and_html_report(client: TestClient) -> None:
    page = client.get("/validate")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'enctype="multipart/form-data"' in page.text and 'name="file"' in page.text
    r = client.post(
        "/api/validate",
        data={"text": INVALID_PROJECT, "syntax": "text/turtle"},
        headers={"Accept": "text/html"},
    )
    assert r.status_code == 200
    assert "Does not conform" in r.text and "A project is in a place." in r.text
    bad = client.post(
        "/api/validate",
        data={"text": "@prefix broken", "syntax": "text/turtle"},
        headers={"Accept": "text/html"},
    )
    assert bad.status_code == 400 and 'id="error"' in bad.text


def test_shipped_example_conforms_against_the_project_shapes(root: Path, tmp_path: Path) -> None:
    """The template of docs/add-an-initiative.md validates (with the current graph) through the API."""
    from iopgraph.core.settings import Settings

    example = root / "docs" / "examples" / "new-initiative.ttl"
    if not example.exists():
        pytest.fail("docs/examples/new-initiative.ttl is missing")
    settings = Settings(
        root=root, store_path=tmp_path / "store", query_workers=1, base_url="http://testserver"
    )
    with TestClient(create_app(settings)) as c:
        r = c.post(
            "/api/validate?current=true",
            content=example.read_bytes(),
            headers={"Content-Type": "text/turtle"},
        )
    assert r.status_code == 200, r.text
    assert r.json()["conforms"] is True, json.dumps(r.json()["results"], indent=1)
