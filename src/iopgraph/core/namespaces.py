"""The IRIs of the graph: base, namespaces, the terms every layer uses, prefixes and named graphs.

One table, so Turtle output, the SPARQL editor, JSON-LD contexts and the example
queries all agree on prefixes; one function, :func:`named_graph`, makes every
named-graph IRI (``https://w3id.org/iopgraph/graph/...``).
"""

from __future__ import annotations

import pyoxigraph as ox

BASE = "https://w3id.org/iopgraph/"
ONTOLOGY = BASE + "ontology#"
ID = BASE + "id/"
CONCEPT = BASE + "concept/"
GRAPH = BASE + "graph/"
REPORT = ID + "report/d06-02"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"

#: Terms written in many modules, as pyoxigraph terms (``.value`` is the IRI).
RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_TYPE_IRI = RDF_TYPE.value  # for comparing with ``term.value`` and for dictionary keys
XSD_INTEGER = ox.NamedNode(XSD + "integer")
XSD_DATETIME = ox.NamedNode(XSD + "dateTime")

PREFIXES: dict[str, str] = {
    "iop": ONTOLOGY,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": XSD,
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


# -- named graphs ----------------------------------------------------------------------------------------


def named_graph(path: str) -> str:
    """The IRI of the named graph ``path`` (``data/initiatives`` → ``…/graph/data/initiatives``)."""
    return GRAPH + path


#: Folders whose files are loaded into graphs of their own (``…/graph/data/<file>``): a rebuild replaces
#: those graphs and a write may not change them. Other graphs (written by stewards through /store, /update
#: or `iopgraph load`, provenance, releases) survive rebuilds.
FILE_GRAPH_FOLDERS = ("ontology", "data", "served")
FILE_GRAPH_PREFIXES = tuple(named_graph(folder + "/") for folder in FILE_GRAPH_FOLDERS)
#: Where written data goes: ``iopgraph load``, the workbench and ``POST /store`` make graphs below it.
CONTRIB_GRAPHS = named_graph("contrib/")
#: The service's own records: PROV-O activities of every write, and the releases.
PROVENANCE_GRAPH = named_graph("provenance")
RELEASES_GRAPH = named_graph("releases")
#: What provenance records name for a write to the store's default graph.
DEFAULT_GRAPH_IRI = named_graph("default")
#: The graph an upload is validated in (never stored).
UPLOAD_GRAPH = named_graph("validation/upload")


def contrib_graph(name: str) -> str:
    """The IRI of a contributed graph (``…/graph/contrib/<name>``)."""
    return CONTRIB_GRAPHS + name
