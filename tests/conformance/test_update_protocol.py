"""SPARQL 1.1 Protocol §2.2, the update operation, against a live `iopgraph serve` (issue 11).

One test per requirement; the W3C Protocol manifest case each one covers is in
its name or docstring (and in docs/conformance.md). Expected statuses are exact
(the service's documented choice within the class the spec allows).
"""

from __future__ import annotations

import pytest

from support.conformance import UPDATE, Live

FORM = "application/x-www-form-urlencoded"
KASEI = "http://kasei.us/2009/09/sparql/data/"
DC = "http://purl.org/dc/terms/"
PREFIXES = "PREFIX dc: <http://purl.org/dc/terms/>\nPREFIX foaf: <http://xmlns.com/foaf/0.1/>\n"
THREE_DOCUMENTS = (
    PREFIXES
    + f"""DROP ALL ;
INSERT DATA {{
    GRAPH <{KASEI}data1.rdf> {{ <{KASEI}data1.rdf> a foaf:Document }}
    GRAPH <{KASEI}data2.rdf> {{ <{KASEI}data2.rdf> a foaf:Document }}
    GRAPH <{KASEI}data3.rdf> {{ <{KASEI}data3.rdf> a foaf:Document }}
}} ;
"""
)


def assert_problem(r: object, status: int, code: str | None = None) -> dict[str, object]:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    problem: dict[str, object] = r.json()  # type: ignore[attr-defined]
    assert problem["status"] == status and problem["detail"]
    if code:
        assert problem["code"] == code, problem
    return problem


# -- §2.2.1 / §2.2.2: the two ways to send an update; §2.2.4 success -------------------------------------


def test_update_post_form(fresh_service: Live) -> None:
    """update_post_form: `update=` in an application/x-www-form-urlencoded body."""
    fresh_service.update(
        "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } }"
    )
    r = fresh_service.request("POST", "/update", content=b"update=CLEAR+ALL", headers={"Content-Type": FORM})
    assert r.status_code == 204, r.text
    assert not fresh_service.ask("ASK { GRAPH <http://example.org/g> { ?s ?p ?o } }")


def test_update_post_direct(fresh_service: Live) -> None:
    """update_post_direct: the update as the body, application/sparql-update; 204 links its provenance."""
    r = fresh_service.update(
        "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } }"
    )
    assert r.status_code == 204, r.text
    assert 'rel="http://www.w3.org/ns/prov#has_provenance"' in r.headers["link"]
    assert fresh_service.ask(
        "ASK { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } }"
    )
    assert fresh_service.update("CLEAR ALL").status_code == 204


# -- §2.2.3: the RDF dataset of the WHERE clause ---------------------------------------------------------


def test_update_dataset_default_graph(fresh_service: Live) -> None:
    """update_dataset_default_graph: using-graph-uri is the default graph of the WHERE clause."""
    text = (
        PREFIXES
        + f"""CLEAR ALL ;
        INSERT DATA {{ GRAPH <{KASEI}data1.rdf> {{ <{KASEI}data1.rdf> a foaf:Document }} }} ;
        INSERT DATA {{ GRAPH <{KASEI}data2.rdf> {{ <{KASEI}data2.rdf> a foaf:Document }} }} ;
        INSERT {{ GRAPH <http://example.org/protocol-update-dataset-test/> {{ ?s a dc:BibliographicResource }} }}
        WHERE {{ ?s a foaf:Document }}"""
    )
    r = fresh_service.update(text, **{"using-graph-uri": f"{KASEI}data1.rdf"})
    assert r.status_code == 204, r.text
    assert fresh_service.ask(f"""ASK {{ GRAPH <http://example.org/protocol-update-dataset-test/> {{
        <{KASEI}data1.rdf> a <{DC}BibliographicResource> }} }}""")
    assert not fresh_service.ask(f"ASK {{ GRAPH ?g {{ <{KASEI}data2.rdf> a <{DC}BibliographicResource> }} }}")


def test_update_dataset_default_graphs(fresh_service: Live) -> None:
    """update_dataset_default_graphs: several using-graph-uri are merged into the default graph."""
    text = (
        THREE_DOCUMENTS
        + """INSERT { GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {
        ?s a dc:BibliographicResource } } WHERE { ?s a foaf:Document }"""
    )
    r = fresh_service.update(text, **{"using-graph-uri": [f"{KASEI}data1.rdf", f"{KASEI}data2.rdf"]})
    assert r.status_code == 204, r.text
    assert fresh_service.ask(f"""ASK {{
        GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {{
            <{KASEI}data1.rdf> a <{DC}BibliographicResource> . <{KASEI}data2.rdf> a <{DC}BibliographicResource> }}
        FILTER NOT EXISTS {{ GRAPH <http://example.org/protocol-update-dataset-graphs-test/> {{
            <{KASEI}data3.rdf> a <{DC}BibliographicResource> }} }} }}""")


def test_update_dataset_named_graphs(fresh_service: Live) -> None:
    """update_dataset_named_graphs: using-named-graph-uri are the only graphs GRAPH ?g sees."""
    text = (
        THREE_DOCUMENTS
        + """INSERT { GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {
        ?s a dc:BibliographicResource } } WHERE { GRAPH ?g { ?s a foaf:Document } }"""
    )
    r = fresh_service.update(text, **{"using-named-graph-uri": [f"{KASEI}data1.rdf", f"{KASEI}data2.rdf"]})
    assert r.status_code == 204, r.text
    assert fresh_service.ask(f"""ASK {{
        GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {{
            <{KASEI}data1.rdf> a <{DC}BibliographicResource> . <{KASEI}data2.rdf> a <{DC}BibliographicResource> }}
        FILTER NOT EXISTS {{ GRAPH <http://example.org/protocol-update-dataset-named-graphs-test/> {{
            <{KASEI}data3.rdf> a <{DC}BibliographicResource> }} }} }}""")


def test_update_dataset_full(fresh_service: Live) -> None:
    """update_dataset_full: using-graph-uri and using-named-graph-uri together."""
    text = (
        THREE_DOCUMENTS
        + """INSERT { GRAPH <http://example.org/protocol-update-dataset-full-test/> {
        ?s <http://example.org/in> ?in } }
    WHERE { { GRAPH ?g { ?s a foaf:Document } BIND(?g AS ?in) } UNION { ?s a foaf:Document . BIND("default" AS ?in) } }"""
    )
    r = fresh_service.update(
        text, **{"using-graph-uri": f"{KASEI}data1.rdf", "using-named-graph-uri": f"{KASEI}data2.rdf"}
    )
    assert r.status_code == 204, r.text
    assert fresh_service.ask(f"""ASK {{
        GRAPH <http://example.org/protocol-update-dataset-full-test/> {{
            <{KASEI}data1.rdf> <http://example.org/in> "default" .
            <{KASEI}data2.rdf> <http://example.org/in> <{KASEI}data2.rdf> }}
        FILTER NOT EXISTS {{ GRAPH <http://example.org/protocol-update-dataset-full-test/> {{ <{KASEI}data3.rdf> ?p ?o }} }}
        FILTER NOT EXISTS {{ GRAPH <http://example.org/protocol-update-dataset-full-test/> {{
            <{KASEI}data1.rdf> <http://example.org/in> <{KASEI}data1.rdf> }} }} }}""")


def test_dataset_parameters_as_form_fields(fresh_service: Live) -> None:
    """§2.2.1: with a form, using-graph-uri / using-named-graph-uri are fields of the body."""
    fresh_service.update(THREE_DOCUMENTS.removesuffix(";\n"))
    form = {
        "update": PREFIXES
        + """INSERT { GRAPH <http://example.org/form-test> { ?s a dc:BibliographicResource } }
        WHERE { ?s a foaf:Document }""",
        "using-graph-uri": f"{KASEI}data3.rdf",
    }
    r = fresh_service.request("POST", "/update", data=form)
    assert r.status_code == 204, r.text
    assert fresh_service.ask(f"ASK {{ GRAPH <http://example.org/form-test> {{ <{KASEI}data3.rdf> ?p ?o }} }}")
    assert not fresh_service.ask(
        f"ASK {{ GRAPH <http://example.org/form-test> {{ <{KASEI}data1.rdf> ?p ?o }} }}"
    )


def test_update_base_uri(fresh_service: Live) -> None:
    """update_base_uri: relative IRIs resolve against the endpoint, <IOPGRAPH_BASE_URL>/update."""
    r = fresh_service.update("""CLEAR SILENT GRAPH <http://example.org/protocol-base-test/> ;
        INSERT DATA { GRAPH <http://example.org/protocol-base-test/> { <http://example.org/s> <http://example.org/p> <test> } }""")
    assert r.status_code == 204, r.text
    assert fresh_service.ask(f"""ASK {{ GRAPH <http://example.org/protocol-base-test/> {{
        <http://example.org/s> <http://example.org/p> <{fresh_service.url}/test> }} }}""")


# -- §2.2.5 failure responses: every 400 (and 4xx) case ------------------------------------------------


def test_bad_update_get(live_service: Live) -> None:
    """bad_update_get: an update is never run by GET (405 at /update; /sparql refuses updates, issue 9)."""
    before = live_service.fingerprint()
    assert_problem(live_service.request("GET", "/update?update=CLEAR%20ALL"), 405)
    assert live_service.fingerprint() == before


@pytest.mark.parametrize(
    "case,body,headers,status,code",
    [
        (
            "bad_multiple_updates",
            b"update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
            {"Content-Type": FORM},
            400,
            "bad-input",
        ),
        (
            "no update field",
            b"using-graph-uri=http%3A%2F%2Fexample.org%2Fg",
            {"Content-Type": FORM},
            400,
            "bad-input",
        ),
        (
            "bad_update_wrong_media_type",
            b"CLEAR NAMED",
            {"Content-Type": "text/plain"},
            415,
            "unsupported-media-type",
        ),
        ("bad_update_missing_form_type", b"update=CLEAR%20NAMED", {}, 415, "unsupported-media-type"),
        ("bad_update_missing_direct_type", b"CLEAR NAMED", {}, 415, "unsupported-media-type"),
        (
            "bad_update_non_utf8",
            "CLEAR NAMED".encode("utf-16"),
            {"Content-Type": f"{UPDATE}; charset=UTF-16"},
            400,
            "bad-input",
        ),
        (
            "non-UTF-8 bytes",
            b'INSERT DATA { <http://a> <http://b> "caf\xe9" }',
            {"Content-Type": UPDATE},
            400,
            "bad-input",
        ),
        ("bad_update_syntax", b"update=CLEAR%20XYZ", {"Content-Type": FORM}, 400, "invalid-update"),
        (
            "direct syntax error",
            b"INSERT DATA { <http://a> <http://b> }",
            {"Content-Type": UPDATE},
            400,
            "invalid-update",
        ),
        ("LOAD", b"LOAD <http://example.org/data.ttl>", {"Content-Type": UPDATE}, 400, "update-not-allowed"),
    ],
)
def test_bad_update_requests(
    live_service: Live, case: str, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    before = live_service.fingerprint()
    problem = assert_problem(
        live_service.request("POST", "/update", content=body, headers=headers), status, code
    )
    if code == "invalid-update":
        assert (
            "line" in str(problem["detail"])
            or "column" in str(problem["detail"])
            or "parse" in str(problem["detail"])
        )
    assert live_service.fingerprint() == before


@pytest.mark.parametrize(
    "clause",
    [
        "WITH <http://example/addresses> DELETE { ?person foaf:givenName 'Bill' } INSERT { ?person foaf:givenName 'William' } "
        "WHERE { ?person foaf:givenName 'Bill' }",
        "DELETE { ?person foaf:givenName 'Bill' } USING <http://example/addresses> WHERE { ?person foaf:givenName 'Bill' }",
        "DELETE { ?person foaf:givenName 'Bill' } USING NAMED <http://example/addresses> WHERE { ?person foaf:givenName 'Bill' }",
    ],
)
@pytest.mark.parametrize("parameter", ["using-named-graph-uri", "using-graph-uri"])
def test_bad_update_dataset_conflict(live_service: Live, clause: str, parameter: str) -> None:
    """bad_update_dataset_conflict: dataset parameters together with USING, USING NAMED or WITH → 400."""
    before = live_service.fingerprint()
    r = live_service.update(PREFIXES + clause, **{parameter: "http://example/people"})
    assert_problem(r, 400, "update-dataset-conflict")
    assert live_service.fingerprint() == before


def test_dataset_parameter_must_be_an_iri(live_service: Live) -> None:
    assert_problem(live_service.update("CLEAR ALL", **{"using-graph-uri": "not an IRI"}), 400, "bad-input")


def test_update_needs_the_write_token(live_service: Live) -> None:
    before = live_service.fingerprint()
    r = live_service.request(
        "POST", "/update", auth=False, content=b"CLEAR ALL", headers={"Content-Type": UPDATE}
    )
    assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert live_service.fingerprint() == before


# -- the service's own graphs and the gate (docs/conformance.md) ---------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "CLEAR ALL",
        "DROP ALL",
        "CLEAR NAMED",
        "DROP NAMED",
        "CLEAR DEFAULT",
        "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } "
        "FILTER(?g != <https://w3id.org/iopgraph/graph/provenance>) }",
        "DELETE WHERE { GRAPH ?g { ?s ?p ?o } }",
    ],
)
def test_bulk_deletes_leave_the_shipped_graph(fresh_service: Live, text: str) -> None:
    """CLEAR/DROP ALL|NAMED and GRAPH ?g patterns empty the steward graphs; the file-backed graphs stay."""
    shipped = fresh_service.shipped_fingerprint()
    fresh_service.update(
        "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } "
        "<http://example.org/s> <http://example.org/p> 2 }"
    )
    assert fresh_service.update(text).status_code == 204
    assert fresh_service.shipped_fingerprint() == shipped
    assert (
        not fresh_service.ask("ASK { GRAPH <http://example.org/g> { ?s ?p ?o } }") or text == "CLEAR DEFAULT"
    )


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { GRAPH <https://w3id.org/iopgraph/graph/data/data> { <http://example.org/s> <http://example.org/p> 1 } }",
        "CLEAR GRAPH <https://w3id.org/iopgraph/graph/data/data>",
        "DROP GRAPH <https://w3id.org/iopgraph/graph/ontology/iop>",
        "INSERT DATA { GRAPH <https://w3id.org/iopgraph/graph/data/new-file> { <http://example.org/s> <http://example.org/p> 1 } }",
    ],
)
def test_writes_to_file_backed_graphs_are_refused(live_service: Live, text: str) -> None:
    before = live_service.fingerprint()
    problem = assert_problem(live_service.update(text), 403, "protected-graph")
    assert "iopgraph build" in str(problem["detail"]) and "graph/contrib/" in str(problem["detail"])
    assert live_service.fingerprint() == before


def test_the_shacl_gate_still_decides(fresh_service: Live) -> None:
    """An update introducing a violation (an ex:Project without label or place) is 422 and changes nothing."""
    before = fresh_service.fingerprint()
    r = fresh_service.update(
        "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/id/p9> a <http://example.org/ns#Project> } }"
    )
    problem = assert_problem(r, 422, "shacl-violation")
    assert problem["report"]["conforms"] is False  # type: ignore[index]
    assert fresh_service.fingerprint() == before
