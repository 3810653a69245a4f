"""The IRIs of the graph: base, namespaces and the prefixes used everywhere.

One table, so Turtle output, the SPARQL editor, JSON-LD contexts and the example
queries all agree on prefixes.
"""

from __future__ import annotations

BASE = "https://w3id.org/iopgraph/"
ONTOLOGY = BASE + "ontology#"
ID = BASE + "id/"
CONCEPT = BASE + "concept/"
GRAPH = BASE + "graph/"
REPORT = ID + "report/d06-02"

PREFIXES: dict[str, str] = {
    "iop": ONTOLOGY,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "m8g": "http://data.europa.eu/m8g/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "schema": "https://schema.org/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "sh": "http://www.w3.org/ns/shacl#",
    "bibo": "http://purl.org/ontology/bibo/",
    "qb": "http://purl.org/linked-data/cube#",
    "organisatie": "https://data.vlaanderen.be/ns/organisatie#",
    "vann": "http://purl.org/vocab/vann/",
}
