"""The DCAT-AP 3 catalogue (``/catalog``) and the VoID description (``/.well-known/void``), as triples.

Identifiers are graph IRIs (``https://w3id.org/iopgraph/catalog#dataset``);
access and download URLs are this service's URLs (``base_url``), so a
harvester can fetch what it reads. The catalogue satisfies the DCAT-AP 3.0.1
mandatory and recommended properties (tests/fixtures/dcat-ap/dcat-ap-3-mandatory.ttl)
and its value ranges (dcat-ap-3-range.ttl): every vocabulary IRI it uses (media
types, licences, languages, places, themes, standards, pages) carries the class
DCAT-AP expects as its ``rdf:type``, and concepts and schemes carry their labels,
so a validator needs no network to check them (:func:`typed_vocabulary`).
"""

from __future__ import annotations

from datetime import datetime

import pyoxigraph as ox

from iopgraph.core.media_types import GZIP, TURTLE, eu_file_type, iana_iri
from iopgraph.core.namespaces import BASE, ONTOLOGY, PREFIXES, RDF_TYPE, RELEASES_GRAPH, REPORT, XSD
from iopgraph.core.terms import object_of, subject_of
from iopgraph.store.backend import Backend
from iopgraph.views.dumps import DUMPS

DCAT = PREFIXES["dcat"]
DCT = PREFIXES["dcterms"]
FOAF = PREFIXES["foaf"]
VOID = "http://rdfs.org/ns/void#"
DCATAP = "http://data.europa.eu/r5r/"
EU = "http://publications.europa.eu/resource/authority/"
LICENCE = ox.NamedNode(EU + "licence/CC_BY_4_0")
SKOS = PREFIXES["skos"]
VCARD = "http://www.w3.org/2006/vcard/ns#"
#: DCAT-AP 3 takes availability from the EU "planned availability" table (DCAT-AP 2 used r5r/availability/).
STABLE = EU + "planned-availability/STABLE"
#: The class DCAT-AP 3 gives as the range of each property whose values are vocabulary IRIs.
RANGES = {
    DCAT + "mediaType": DCT + "MediaType",
    DCAT + "compressFormat": DCT + "MediaType",
    DCAT + "packageFormat": DCT + "MediaType",
    DCT + "format": DCT + "MediaTypeOrExtent",
    DCT + "license": DCT + "LicenseDocument",
    DCT + "language": DCT + "LinguisticSystem",
    DCT + "spatial": DCT + "Location",
    DCAT + "theme": SKOS + "Concept",
    DCAT + "themeTaxonomy": SKOS + "ConceptScheme",
    DCT + "conformsTo": DCT + "Standard",
    FOAF + "homepage": FOAF + "Document",
    DCAT + "landingPage": FOAF + "Document",
    FOAF + "page": FOAF + "Document",
    DCATAP + "availability": SKOS + "Concept",
    DCAT + "contactPoint": VCARD + "Kind",
}
#: Labels of the controlled-vocabulary terms the catalogue uses (DCAT-AP: a category has a preferred label,
#: a category scheme a title); the EU Publications Office authority tables' English labels.
LABELS = {
    EU + "data-theme/GOVE": "Government and public sector",
    EU + "data-theme/TECH": "Science and technology",
    EU + "data-theme": "Data theme",
    STABLE: "Stable",
}

CATALOG = BASE + "catalog"
DATASET = CATALOG + "#dataset"
PUBLISHER = CATALOG + "#publisher"
SPARQL_SERVICE = CATALOG + "#sparql"
SHAPES = BASE + "shapes"
TITLE = "iopgraph: organisational and cultural interoperability of data spaces and local digital twins"
DESCRIPTION = (
    "A linked-data knowledge graph of the EU report D06.02 (2023) on the organisational and cultural "
    "interoperability challenges that European cities and regions meet when they implement data spaces "
    "and local digital twins, the mitigations and good practices that address them, the EIF4SCC "
    "recommendations behind them, the organisations and roles of the four use cases (Flanders, Amsterdam, "
    "Helsinki, Valencia) and the figures the report quotes. Every fact cites its report section."
)
KEYWORDS = (
    "interoperability",
    "data space",
    "local digital twin",
    "smart city",
    "EIF4SCC",
    "organisational interoperability",
    "cultural interoperability",
)


class _Graph:
    def __init__(self) -> None:
        self.triples: list[ox.Triple] = []

    def add(self, s: str, p: str, o: str | ox.Literal | ox.NamedNode) -> None:
        obj = ox.NamedNode(o) if isinstance(o, str) else o
        self.triples.append(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), obj))

    def text(self, s: str, p: str, text: str) -> None:
        self.add(s, p, ox.Literal(text, language="en"))

    def typed(self, s: str, p: str, value: str, datatype: str) -> None:
        self.add(s, p, ox.Literal(value, datatype=ox.NamedNode(XSD + datatype)))


async def _years(backend: Backend) -> tuple[str | None, str | None]:
    rows = await backend.select(
        f"SELECT (MIN(STR(?y)) AS ?first) (MAX(STR(?y)) AS ?last) WHERE {{ ?s <{ONTOLOGY}startYear>|<{ONTOLOGY}year> ?y }}"
    )
    row = rows[0] if rows else {}
    first, last = row.get("first"), row.get("last")
    return (first.value if first else None), (last.value if last else None)


async def catalog(backend: Backend, base_url: str, last_modified: datetime) -> list[ox.Triple]:
    """The DCAT-AP catalogue: dataset, dump distributions, SPARQL data service, LDES feed."""
    base = base_url.rstrip("/")
    g = _Graph()
    modified = last_modified.strftime("%Y-%m-%dT%H:%M:%SZ")

    g.add(CATALOG, RDF_TYPE.value, DCAT + "Catalog")
    g.text(CATALOG, DCT + "title", "iopgraph catalogue")
    g.text(CATALOG, DCT + "description", "The datasets and data services of iopgraph: " + DESCRIPTION)
    g.add(CATALOG, DCT + "publisher", PUBLISHER)
    g.add(CATALOG, DCAT + "dataset", DATASET)
    g.add(CATALOG, DCAT + "service", SPARQL_SERVICE)
    g.add(CATALOG, DCT + "language", EU + "language/ENG")
    g.add(CATALOG, DCT + "license", LICENCE)
    g.add(CATALOG, DCT + "spatial", EU + "continent/EUROPE")
    g.add(CATALOG, DCAT + "themeTaxonomy", EU + "data-theme")
    g.add(CATALOG, FOAF + "homepage", base + "/")
    g.typed(CATALOG, DCT + "modified", modified, "dateTime")

    g.add(PUBLISHER, RDF_TYPE.value, FOAF + "Agent")
    g.add(PUBLISHER, FOAF + "name", ox.Literal("iopgraph project", language="en"))
    g.add(PUBLISHER, FOAF + "homepage", base + "/")

    g.add(DATASET, RDF_TYPE.value, DCAT + "Dataset")
    g.text(DATASET, DCT + "title", TITLE)
    g.text(DATASET, DCT + "description", DESCRIPTION)
    g.add(DATASET, DCT + "publisher", PUBLISHER)
    g.add(DATASET, DCT + "license", LICENCE)
    g.add(DATASET, DCT + "relation", REPORT)  # the report it is built from (dct:source is for datasets)
    g.add(DATASET, DCT + "conformsTo", ONTOLOGY.rstrip("#"))
    g.add(DATASET, DCT + "conformsTo", SHAPES)
    g.add(DATASET, DCT + "language", EU + "language/ENG")
    g.add(DATASET, DCT + "spatial", EU + "continent/EUROPE")
    g.add(DATASET, DCAT + "theme", EU + "data-theme/GOVE")
    g.add(DATASET, DCAT + "theme", EU + "data-theme/TECH")
    g.add(DATASET, DCAT + "landingPage", base + "/")
    g.add(DATASET, VOID + "sparqlEndpoint", base + "/sparql")
    g.typed(DATASET, DCT + "modified", modified, "dateTime")
    for keyword in KEYWORDS:
        g.text(DATASET, DCAT + "keyword", keyword)
    first, last = await _years(backend)
    if first:
        period = CATALOG + "#temporal-coverage"
        g.add(DATASET, DCT + "temporal", period)
        g.add(period, RDF_TYPE.value, DCT + "PeriodOfTime")
        g.typed(period, DCAT + "startDate", first, "gYear")
        if last:
            g.typed(period, DCAT + "endDate", last, "gYear")
    contact = CATALOG + "#contact"
    g.add(DATASET, DCAT + "contactPoint", contact)
    g.add(contact, RDF_TYPE.value, "http://www.w3.org/2006/vcard/ns#Organization")
    g.add(contact, "http://www.w3.org/2006/vcard/ns#fn", ox.Literal("iopgraph project", language="en"))
    g.add(contact, "http://www.w3.org/2006/vcard/ns#hasURL", base + "/")

    for dump in DUMPS.values():
        for gz in (False, True):
            name = dump.name + (".gz" if gz else "")
            dist = f"{CATALOG}#dump-{name.replace('.', '-')}"
            url = f"{base}/dumps/{name}"
            g.add(DATASET, DCAT + "distribution", dist)
            g.add(dist, RDF_TYPE.value, DCAT + "Distribution")
            g.text(dist, DCT + "title", f"{dump.title} dump" + (", gzip-compressed" if gz else ""))
            g.text(
                dist,
                DCT + "description",
                f"The whole graph as {dump.title}" + (", gzip-compressed." if gz else "."),
            )
            g.add(dist, DCAT + "accessURL", url)
            g.add(dist, DCAT + "downloadURL", url)
            g.add(dist, DCAT + "mediaType", iana_iri(dump.syntax.media_type))
            g.add(dist, DCT + "format", EU + "file-type/" + eu_file_type(dump.syntax.media_type))
            g.add(dist, DCT + "license", LICENCE)
            g.add(dist, DCATAP + "availability", STABLE)
            g.typed(dist, DCT + "modified", modified, "dateTime")
            if gz:
                g.add(dist, DCAT + "compressFormat", iana_iri(GZIP))

    sparql_dist = CATALOG + "#sparql-endpoint"
    g.add(DATASET, DCAT + "distribution", sparql_dist)
    g.add(sparql_dist, RDF_TYPE.value, DCAT + "Distribution")
    g.text(sparql_dist, DCT + "title", "SPARQL endpoint")
    g.text(sparql_dist, DCT + "description", "Query the graph with SPARQL 1.1 (read-only).")
    g.add(sparql_dist, DCAT + "accessURL", base + "/sparql")
    g.add(sparql_dist, DCAT + "accessService", SPARQL_SERVICE)
    g.add(sparql_dist, DCT + "license", LICENCE)

    g.add(SPARQL_SERVICE, RDF_TYPE.value, DCAT + "DataService")
    g.text(SPARQL_SERVICE, DCT + "title", "iopgraph SPARQL endpoint")
    g.text(
        SPARQL_SERVICE, DCT + "description", "A read-only SPARQL 1.1 Protocol endpoint over the whole graph."
    )
    g.add(SPARQL_SERVICE, DCAT + "endpointURL", base + "/sparql")
    g.add(SPARQL_SERVICE, DCAT + "endpointDescription", base + "/sparql")
    g.add(SPARQL_SERVICE, DCAT + "servesDataset", DATASET)
    g.add(SPARQL_SERVICE, DCT + "conformsTo", "https://www.w3.org/TR/sparql11-protocol/")
    g.add(SPARQL_SERVICE, DCT + "publisher", PUBLISHER)
    g.add(SPARQL_SERVICE, DCT + "license", LICENCE)
    g.add(SPARQL_SERVICE, DCAT + "theme", EU + "data-theme/GOVE")

    ldes = CATALOG + "#ldes"
    g.add(DATASET, DCAT + "distribution", ldes)
    g.add(ldes, RDF_TYPE.value, DCAT + "Distribution")
    g.text(ldes, DCT + "title", "Linked Data Event Stream")
    g.text(
        ldes,
        DCT + "description",
        "Every version of every resource of the graph, as an LDES with time-ordered "
        "fragments; follow it to replicate the graph and stay in sync.",
    )
    g.add(ldes, DCAT + "accessURL", base + "/ldes")
    g.add(ldes, DCAT + "mediaType", iana_iri(TURTLE))
    g.add(ldes, DCT + "conformsTo", "https://w3id.org/ldes/specification")
    g.add(ldes, DCT + "license", LICENCE)
    # Versioned releases (`iopgraph release`): dcat:Dataset versions of the dataset, with their dumps.
    g.triples.extend(
        await backend.construct(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{RELEASES_GRAPH}> {{ ?s ?p ?o }} }}"
        )
    )
    return typed_vocabulary(g.triples)


def typed_vocabulary(triples: list[ox.Triple]) -> list[ox.Triple]:
    """``triples`` plus the ``rdf:type`` DCAT-AP's ranges expect of each vocabulary IRI, and the labels of concepts."""
    types = {(subject_of(t), object_of(t)) for t in triples if t.predicate == RDF_TYPE}
    extra: list[ox.Triple] = []
    for t in triples:
        expected = RANGES.get(t.predicate.value)
        if expected is None or not isinstance(t.object, ox.NamedNode):
            continue
        typing = (t.object, ox.NamedNode(expected))
        if typing not in types:
            types.add(typing)
            extra.append(ox.Triple(t.object, RDF_TYPE, typing[1]))
    labelled = {t.subject for t in triples if t.predicate.value in (SKOS + "prefLabel", DCT + "title")}
    for subject, cls in sorted(types, key=str):
        if cls.value in (SKOS + "Concept", SKOS + "ConceptScheme") and subject not in labelled:
            assert isinstance(subject, ox.NamedNode)
            label = LABELS.get(subject.value) or subject.value.rstrip("/").rsplit("/", 1)[-1]
            predicate = SKOS + "prefLabel" if cls.value == SKOS + "Concept" else DCT + "title"
            extra.append(ox.Triple(subject, ox.NamedNode(predicate), ox.Literal(label, language="en")))
            labelled.add(subject)
    return triples + extra


async def void(backend: Backend, base_url: str) -> list[ox.Triple]:
    """VoID: sizes, class and property partitions, example resources, SPARQL endpoint, dumps."""
    base = base_url.rstrip("/")
    g = _Graph()
    ds = BASE + "void#dataset"
    g.add(ds, RDF_TYPE.value, VOID + "Dataset")
    g.text(ds, DCT + "title", TITLE)
    g.add(ds, DCT + "source", REPORT)
    g.add(ds, DCT + "license", LICENCE)
    g.add(ds, VOID + "sparqlEndpoint", base + "/sparql")
    g.add(ds, VOID + "uriSpace", ox.Literal(BASE))
    g.add(ds, VOID + "vocabulary", ONTOLOGY)
    g.add(ds, FOAF + "homepage", base + "/")
    for dump in DUMPS.values():
        g.add(ds, VOID + "dataDump", f"{base}/dumps/{dump.name}")
    sizes = (
        await backend.select(
            "SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties) "
            "(COUNT(DISTINCT ?o) AS ?objects) WHERE { ?s ?p ?o }"
        )
    )[0]
    classes = await backend.select(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY ?c"
    )
    for name, prop in (
        ("triples", "triples"),
        ("subjects", "distinctSubjects"),
        ("properties", "properties"),
        ("objects", "distinctObjects"),
    ):
        g.typed(ds, VOID + prop, sizes[name].value, "integer")
    g.typed(ds, VOID + "classes", str(len(classes)), "integer")
    for index, row in enumerate(classes, 1):
        part = f"{BASE}void#class-{index}"
        g.add(ds, VOID + "classPartition", part)
        g.add(part, VOID + "class", row["c"].value)
        g.typed(part, VOID + "entities", row["n"].value, "integer")
    properties = await backend.select("SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p")
    for index, row in enumerate(properties, 1):
        part = f"{BASE}void#property-{index}"
        g.add(ds, VOID + "propertyPartition", part)
        g.add(part, VOID + "property", row["p"].value)
        g.typed(part, VOID + "triples", row["n"].value, "integer")
    examples = await backend.select(
        f"SELECT ?s WHERE {{ ?s a ?c . VALUES ?c {{ <{ONTOLOGY}Mitigation> <{ONTOLOGY}GoodPractice> "
        f"<{ONTOLOGY}SubChallenge> <{ONTOLOGY}Initiative> <{ONTOLOGY}DataSpace> <{ONTOLOGY}LocalDigitalTwin> }} }} "
        "ORDER BY ?s LIMIT 3"
    )
    for row in examples:
        g.add(ds, VOID + "exampleResource", row["s"].value)
    return g.triples
