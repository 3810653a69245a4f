"""Every accepted write is recorded as a PROV-O activity, queryable by SPARQL (issue 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyoxigraph as ox
from fastapi.testclient import TestClient

from iopgraph.app import create_app
from iopgraph.stewardship.provenance import changed_resources_since
from support.steward import AUTH, NEW_GRAPH, PREFIXES, VALID_PROJECT, settings_for

ACTIVITIES = """
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX iop: <https://w3id.org/iopgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?a ?agent ?start ?end ?graph ?added ?removed WHERE {
  GRAPH <https://w3id.org/iopgraph/graph/provenance> {
    ?a a prov:Activity ; prov:startedAtTime ?start ; prov:endedAtTime ?end ; prov:wasAssociatedWith ?who ;
       prov:used ?graph ; iop:triplesAdded ?added ; iop:triplesRemoved ?removed .
    ?who rdfs:label ?agent .
  }
} ORDER BY ?start
"""


def test_writes_are_recorded_and_queryable(tmp_path: Path) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    with TestClient(create_app(settings_for(tmp_path, write_agent="city-of-ghent"))) as c:
        r = c.put(
            "/store",
            params={"graph": NEW_GRAPH},
            content=VALID_PROJECT,
            headers={"Content-Type": "text/turtle", **AUTH},
        )
        assert r.status_code == 201
        activity = r.headers["link"].split(">")[0].lstrip("<")
        fix = (
            PREFIXES + 'id:p2 a ex:Project ; rdfs:label "Renamed"@en ; dcterms:description "d"@en ; '
            "ex:city id:ghent ; ex:lead id:org1 ; ex:addresses id:c2 ."
        )
        assert (
            c.put(
                "/store",
                params={"graph": NEW_GRAPH},
                content=fix,
                headers={"Content-Type": "text/turtle", **AUTH},
            ).status_code
            == 204
        )
        rejected = c.put(
            "/store",
            params={"graph": NEW_GRAPH},
            content=PREFIXES + "id:p2 a ex:Project .",
            headers={"Content-Type": "text/turtle", **AUTH},
        )
        assert rejected.status_code == 422
        store: ox.Store = c.app.state.context.backend.store  # type: ignore[attr-defined]
        rows = list(store.query(ACTIVITIES))  # type: ignore[arg-type]
        # Queryable through the public SPARQL endpoint too.
        sparql = c.post(
            "/sparql",
            content=ACTIVITIES,
            headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
        )
        assert sparql.status_code == 200 and len(sparql.json()["results"]["bindings"]) == 2
        changed = changed_resources_since(store, start)
    assert len(rows) == 2  # the rejected write left no record
    first, second = rows
    assert first["a"].value == activity
    assert first["agent"].value == "city-of-ghent"
    assert first["graph"].value == NEW_GRAPH
    assert (int(first["added"].value), int(first["removed"].value)) == (6, 0)
    assert (int(second["added"].value), int(second["removed"].value)) == (
        2,
        2,
    )  # label and description changed
    assert datetime.fromisoformat(first["start"].value) >= start
    assert first["end"].value <= second["start"].value
    assert {resource for resource, _, _ in changed} == {"http://example.org/id/p2"}
    assert {a for _, a, _ in changed} == {first["a"].value, second["a"].value}


def test_accepted_writes_appear_as_ldes_member_versions(tmp_path: Path) -> None:
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    version_of = ox.NamedNode("http://purl.org/dc/terms/isVersionOf")
    p2 = ox.NamedNode("http://example.org/id/p2")

    def versions_of_p2(c: TestClient) -> list[set[str]]:
        """The labels of each member version of p2, in stream order."""
        members = []
        index = 0
        while True:
            r = c.get(f"/ldes/fragment/{index}", headers={"Accept": "application/n-triples"})
            if r.status_code == 404:
                break
            assert r.status_code == 200
            triples = list(ox.parse(r.content, ox.RdfFormat.N_TRIPLES))
            for t in triples:
                if t.predicate == version_of and t.object == p2:
                    members.append(
                        (
                            int(t.subject.value.rsplit("/", 1)[1]),
                            {
                                x.object.value
                                for x in triples
                                if x.subject == t.subject and x.predicate == label
                            },
                        )
                    )
            index += 1
        return [labels for _, labels in sorted(members)]

    with TestClient(create_app(settings_for(tmp_path))) as c:
        assert versions_of_p2(c) == []
        headers = {"Content-Type": "text/turtle", **AUTH}
        assert (
            c.put("/store", params={"graph": NEW_GRAPH}, content=VALID_PROJECT, headers=headers).status_code
            == 201
        )
        # Appended by the write itself, before any reader synchronised the feed.
        log = c.app.state.context.ldes  # type: ignore[attr-defined]
        assert [v.resource for v in log.versions if v.resource == p2.value] == [p2.value]
        assert log.synced_version != c.app.state.context.backend.version  # type: ignore[attr-defined]
        assert versions_of_p2(c) == [{"Digital twin"}]
        renamed = VALID_PROJECT.replace('"Digital twin"@en', '"Digital twin of Ghent"@en')
        assert (
            c.put("/store", params={"graph": NEW_GRAPH}, content=renamed, headers=headers).status_code == 204
        )
        assert (
            c.put(
                "/store",
                params={"graph": NEW_GRAPH},
                content=PREFIXES + "id:p2 a ex:Project .",
                headers=headers,
            ).status_code
            == 422
        )
        assert versions_of_p2(c) == [{"Digital twin"}, {"Digital twin of Ghent"}]
