"""The guidance result as JSON-LD (a ranked ``hydra:Collection``) and as triples."""

from __future__ import annotations

import pyoxigraph as ox

from iopgraph.core.namespaces import RDF_TYPE, XSD_INTEGER
from iopgraph.views.guidance import Guidance
from iopgraph.views.hydra import HYDRA
from iopgraph.views.jsonld import JsonObject, document, frame

DCT = "http://purl.org/dc/terms/"


def guidance_document(result: Guidance, url: str, context_url: str) -> JsonObject:
    """Members are the mitigations, best first; ``subject`` lists the chosen challenges.

    Each member embeds its recommendations (with their text), and the labels of
    the challenges, use cases, sections and boxes it links to.
    """
    roots = [ox.NamedNode(m.iri) for m in result.mitigations]
    framed = frame(result.triples, roots, max_depth=2)
    top: JsonObject = {
        "@id": url,
        "@type": ["Collection"],
        "title": "Guidance: mitigations for the chosen challenges, best first",
        "subject": [{"@id": c.value} for c in result.challenges],
        "totalItems": len(result.mitigations),
        "member": framed.nodes,
    }
    return document(context_url, framed, top)


def guidance_triples(result: Guidance, url: str) -> list[ox.Triple]:
    collection = ox.NamedNode(url)
    meta = [
        ox.Triple(collection, RDF_TYPE, ox.NamedNode(HYDRA + "Collection")),
        ox.Triple(
            collection,
            ox.NamedNode(DCT + "title"),
            ox.Literal("Guidance: mitigations for the chosen challenges, best first", language="en"),
        ),
        ox.Triple(
            collection,
            ox.NamedNode(HYDRA + "totalItems"),
            ox.Literal(str(len(result.mitigations)), datatype=XSD_INTEGER),
        ),
    ]
    meta += [ox.Triple(collection, ox.NamedNode(DCT + "subject"), c) for c in result.challenges]
    meta += [
        ox.Triple(collection, ox.NamedNode(HYDRA + "member"), ox.NamedNode(m.iri)) for m in result.mitigations
    ]
    return [*result.triples, *meta]
