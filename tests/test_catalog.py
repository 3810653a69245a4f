"""The DCAT-AP catalogue (mandatory and range shapes), VoID (counts against the store) and the dumps."""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib

from support.ldviews import jsonld_triples, parse_body, store_triples
from support.paths import FIXTURES

SHAPES = FIXTURES / "dcat-ap" / "dcat-ap-3-mandatory.ttl"
RANGE_SHAPES = FIXTURES / "dcat-ap" / "dcat-ap-3-range.ttl"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
DATASET = "https://w3id.org/iopgraph/catalog#dataset"


def _validate(turtle: bytes) -> tuple[bool, rdflib.Graph, str]:
    data = rdflib.Graph().parse(data=turtle, format="turtle")
    conforms, _report, text = pyshacl.validate(
        data, shacl_graph=rdflib.Graph().parse(SHAPES), allow_warnings=True
    )
    return bool(conforms), data, str(text)


def test_catalogue_passes_the_dcat_ap_mandatory_shapes(ld_client) -> None:
    r = ld_client.get("/catalog", headers={"accept": "text/turtle"})
    assert r.status_code == 200
    conforms, data, text = _validate(r.content)
    assert conforms, text
    assert "Warning" not in text, text  # the recommended properties are there too
    q = "SELECT (COUNT(?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Distribution> }"
    assert int(next(iter(data.query(q)))[0]) == 12  # 5 dumps x (plain, gzip) + SPARQL + LDES


def test_the_shapes_catch_a_catalogue_without_a_dataset_title(ld_client) -> None:
    turtle = ld_client.get("/catalog", headers={"accept": "text/turtle"}).content
    data = rdflib.Graph().parse(data=turtle, format="turtle")
    data.remove((rdflib.URIRef(DATASET), rdflib.URIRef(DCT + "title"), None))
    data.remove(
        (rdflib.URIRef("https://w3id.org/iopgraph/catalog#sparql"), rdflib.URIRef(DCAT + "endpointURL"), None)
    )
    conforms, _report, text = pyshacl.validate(data, shacl_graph=rdflib.Graph().parse(SHAPES))
    assert not conforms
    assert str(text).count("Severity: sh:Violation") == 2


def range_violations(data: rdflib.Graph) -> list[str]:
    _conforms, report, _text = pyshacl.validate(data, shacl_graph=rdflib.Graph().parse(RANGE_SHAPES))
    q = """PREFIX sh: <http://www.w3.org/ns/shacl#>
           SELECT ?focus ?path ?value WHERE { ?r a sh:ValidationResult ; sh:resultSeverity sh:Violation ;
               sh:focusNode ?focus ; sh:resultPath ?path . OPTIONAL { ?r sh:value ?value } }"""
    return sorted(" ".join(str(x) for x in row) for row in report.query(q))


def test_catalogue_passes_the_dcat_ap_range_shapes(ld_client) -> None:
    data = rdflib.Graph().parse(
        data=ld_client.get("/catalog", headers={"accept": "text/turtle"}).content, format="turtle"
    )
    assert range_violations(data) == []
    availability = set(data.objects(None, rdflib.URIRef("http://data.europa.eu/r5r/availability")))
    assert availability == {
        rdflib.URIRef("http://publications.europa.eu/resource/authority/planned-availability/STABLE")
    }
    assert (rdflib.URIRef(DATASET), rdflib.URIRef(DCT + "source"), None) not in data


def test_the_range_shapes_catch_dcat_ap_2_values_and_untyped_vocabulary(ld_client) -> None:
    data = rdflib.Graph().parse(
        data=ld_client.get("/catalog", headers={"accept": "text/turtle"}).content, format="turtle"
    )
    dist = rdflib.URIRef("https://w3id.org/iopgraph/catalog#dump-iopgraph-ttl")
    availability = rdflib.URIRef("http://data.europa.eu/r5r/availability")
    data.set((dist, availability, rdflib.URIRef("http://data.europa.eu/r5r/availability/stable")))
    ttl = rdflib.URIRef("https://www.iana.org/assignments/media-types/text/turtle")
    data.remove((ttl, rdflib.RDF.type, None))
    data.add(
        (
            rdflib.URIRef(DATASET),
            rdflib.URIRef(DCT + "source"),
            rdflib.URIRef("https://w3id.org/iopgraph/id/report/d06-02"),
        )
    )
    found = range_violations(data)
    assert any(v.startswith(f"{dist} http://data.europa.eu/r5r/availability") for v in found), found
    assert any(f"{DCAT}mediaType {ttl}" in v for v in found), found
    assert any(f"{DCT}source" in v for v in found), found


def test_catalogue_describes_distributions_service_and_coverage(ld_client) -> None:
    triples = parse_body(ld_client.get("/catalog?format=nt").content, "application/n-triples")
    ds = ox.NamedNode(DATASET)

    def objects(s: ox.NamedNode, p: str) -> set[str]:
        return {t.object.value for t in triples if t.subject == s and t.predicate.value == p}

    urls = {t.object.value for t in triples if t.predicate.value == DCAT + "downloadURL"}
    assert "http://testserver/dumps/iopgraph.ttl" in urls and "http://testserver/dumps/iopgraph.nt.gz" in urls
    assert objects(ox.NamedNode("https://w3id.org/iopgraph/catalog#sparql"), DCAT + "endpointURL") == {
        "http://testserver/sparql"
    }
    assert {"https://w3id.org/iopgraph/ontology", "https://w3id.org/iopgraph/shapes"} <= objects(
        ds, DCT + "conformsTo"
    )
    assert objects(ds, DCT + "license") == {
        "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
    }
    period = ox.NamedNode("https://w3id.org/iopgraph/catalog#temporal-coverage")
    assert objects(period, DCAT + "startDate") == {"2019"} and objects(period, DCAT + "endDate") == {"2022"}
    assert objects(ox.NamedNode("https://w3id.org/iopgraph/catalog#ldes"), DCAT + "accessURL") == {
        "http://testserver/ldes"
    }


def test_catalogue_jsonld_round_trips(ld_client) -> None:
    doc = ld_client.get("/catalog", headers={"accept": "application/ld+json"}).json()
    assert doc["@id"] == "https://w3id.org/iopgraph/catalog"
    assert jsonld_triples(doc) == parse_body(ld_client.get("/catalog?format=ttl").content, "text/turtle")


def test_void_counts_match_the_store(ld_client, ld_store) -> None:
    triples = parse_body(
        ld_client.get("/.well-known/void", headers={"accept": "text/turtle"}).content, "text/turtle"
    )
    ds = ox.NamedNode("https://w3id.org/iopgraph/void#dataset")
    values = {t.predicate.value: t.object.value for t in triples if t.subject == ds}
    everything = store_triples(ld_store)
    assert int(values[VOID + "triples"]) == len(everything)
    assert int(values[VOID + "distinctSubjects"]) == len({t.subject for t in everything})
    assert values[VOID + "sparqlEndpoint"] == "http://testserver/sparql"
    partitions = {
        t.object for t in triples if t.subject == ds and t.predicate.value == VOID + "classPartition"
    }
    counts = {}
    for part in partitions:
        props = {t.predicate.value: t.object.value for t in triples if t.subject == part}
        counts[props[VOID + "class"]] = int(props[VOID + "entities"])
    assert counts["https://w3id.org/iopgraph/ontology#GoodPractice"] == 2
    assert counts["https://w3id.org/iopgraph/ontology#Statistic"] == 2
    examples = {t.object.value for t in triples if t.predicate.value == VOID + "exampleResource"}
    assert examples and all(
        ld_client.get(e.replace("https://w3id.org/iopgraph", "")).status_code == 200 for e in examples
    )
    dumps = {t.object.value for t in triples if t.predicate.value == VOID + "dataDump"}
    assert "http://testserver/dumps/iopgraph.nq" in dumps


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("iopgraph.ttl", "text/turtle"),
        ("iopgraph.nt", "application/n-triples"),
        ("iopgraph.nq", "application/n-quads"),
        ("iopgraph.trig", "application/trig"),
    ],
)
def test_dumps_hold_the_whole_graph(ld_client, ld_store, name, media_type) -> None:
    r = ld_client.get(f"/dumps/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media_type
    assert f'filename="{name}"' in r.headers["content-disposition"]
    assert parse_body(r.content, media_type) == store_triples(ld_store)
    assert ld_client.get(f"/dumps/{name}", headers={"if-none-match": r.headers["etag"]}).status_code == 304
    assert (
        ld_client.get(f"/dumps/{name}", headers={"if-modified-since": r.headers["last-modified"]}).status_code
        == 304
    )


def test_named_graph_dumps_keep_the_source_graphs(ld_client) -> None:
    quads = list(ox.parse(ld_client.get("/dumps/iopgraph.nq").content, ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in quads}
    assert "https://w3id.org/iopgraph/graph/data/data" in graphs
    assert "https://w3id.org/iopgraph/graph/ontology/iop" in graphs


def test_jsonld_dump_is_compacted_and_round_trips(ld_client, ld_store) -> None:
    doc = ld_client.get("/dumps/iopgraph.jsonld").json()
    assert doc["@context"] == "http://testserver/context/v1.jsonld"
    assert any(node.get("@type") == ["GoodPractice"] for node in doc["@graph"])
    assert jsonld_triples(doc) == store_triples(ld_store)


def test_dumps_gzip_on_request(ld_client) -> None:
    plain = ld_client.get("/dumps/iopgraph.nt", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    encoded = ld_client.get("/dumps/iopgraph.nt", headers={"accept-encoding": "gzip"})
    assert encoded.headers["content-encoding"] == "gzip"  # httpx decodes it for us
    assert encoded.content == plain.content
    assert encoded.headers["etag"] != plain.headers["etag"]
    assert "Accept-Encoding" in encoded.headers["vary"]
    gz = ld_client.get("/dumps/iopgraph.nt.gz", headers={"accept-encoding": "identity"})
    assert gz.headers["content-type"] == "application/gzip"
    assert gzip.decompress(gz.content) == plain.content


def test_unknown_dump_is_404(ld_client) -> None:
    r = ld_client.get("/dumps/iopgraph.csv")
    assert r.status_code == 404
    assert "iopgraph.ttl" in r.json()["detail"]


def test_downloads_page_links_every_dump(ld_client) -> None:
    html = ld_client.get("/downloads").text
    for name in ("iopgraph.ttl", "iopgraph.nt", "iopgraph.jsonld", "iopgraph.nq", "iopgraph.trig"):
        assert f'href="/dumps/{name}"' in html and f'href="/dumps/{name}.gz"' in html
