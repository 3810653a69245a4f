"""Labels and numbers for people: what a page shows for an IRI, a literal or a quantity.

A label comes, in this order, from

1. the store (``skos:prefLabel``, ``rdfs:label``, ... of the term: the ontology,
   the vocabularies and the data are loaded there);
2. :data:`VOCABULARY_LABELS`: the labels the reused W3C/EU vocabularies give
   their terms (the store holds only the terms, not those vocabularies), in
   lower case and British spelling like the iopgraph ontology's own labels;
3. the IRI itself, as a prefixed name (``org:Organization``) or a shortened
   URL (``unece.org/…/ecn162016d2_en.pdf``): never words guessed from an IRI.

    >>> label_for("http://www.w3.org/ns/org#Organization", {})
    'organisation'
    >>> label_for("https://www.unece.org/fileadmin/DAM/sites/default/files/2020-12/ecn162016d2_en.pdf", {})
    'unece.org/…/ecn162016d2_en.pdf'
    >>> format_number(7500000000.0)
    '7,500,000,000'
    >>> format_quantity(7.5e9, "EUR")
    'EUR 7.5 billion'
    >>> format_quantity(4.0, None)
    '4'
    >>> format_quantity(77.0, "%")
    '77%'
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import unquote, urlsplit

from iopgraph.core.namespaces import PREFIXES

_P = PREFIXES

#: Labels of the reused vocabulary terms the graph uses (from each vocabulary's own rdfs:label).
VOCABULARY_LABELS: dict[str, str] = {
    _P["rdf"] + "type": "type",
    _P["rdf"] + "langString": "text",
    _P["rdfs"] + "label": "label",
    _P["rdfs"] + "comment": "comment",
    _P["rdfs"] + "domain": "domain",
    _P["rdfs"] + "range": "range",
    _P["rdfs"] + "subClassOf": "subclass of",
    _P["rdfs"] + "subPropertyOf": "subproperty of",
    _P["rdfs"] + "isDefinedBy": "is defined by",
    _P["owl"] + "Class": "class",
    _P["owl"] + "ObjectProperty": "object property",
    _P["owl"] + "DatatypeProperty": "datatype property",
    _P["owl"] + "Ontology": "ontology",
    _P["owl"] + "disjointWith": "disjoint with",
    _P["owl"] + "inverseOf": "inverse of",
    _P["owl"] + "versionIRI": "version IRI",
    _P["owl"] + "versionInfo": "version",
    _P["owl"] + "equivalentClass": "equivalent class",
    _P["owl"] + "equivalentProperty": "equivalent property",
    _P["xsd"] + "boolean": "boolean",
    _P["xsd"] + "decimal": "decimal",
    _P["xsd"] + "integer": "integer",
    _P["xsd"] + "gYear": "year",
    _P["xsd"] + "string": "text",
    _P["xsd"] + "date": "date",
    _P["xsd"] + "dateTime": "date and time",
    _P["skos"] + "Concept": "concept",
    _P["skos"] + "ConceptScheme": "concept scheme",
    _P["skos"] + "prefLabel": "preferred label",
    _P["skos"] + "altLabel": "alternative label",
    _P["skos"] + "definition": "definition",
    _P["skos"] + "notation": "notation",
    _P["skos"] + "broader": "broader",
    _P["skos"] + "related": "related",
    _P["skos"] + "closeMatch": "close match",
    _P["skos"] + "exactMatch": "exact match",
    _P["skos"] + "hasTopConcept": "has top concept",
    _P["skos"] + "topConceptOf": "top concept of",
    _P["skos"] + "inScheme": "in scheme",
    _P["dcterms"] + "BibliographicResource": "bibliographic resource",
    _P["dcterms"] + "Location": "location",
    _P["dcterms"] + "Standard": "standard",
    _P["dcterms"] + "abstract": "abstract",
    _P["dcterms"] + "alternative": "alternative title",
    _P["dcterms"] + "bibliographicCitation": "bibliographic citation",
    _P["dcterms"] + "conformsTo": "conforms to",
    _P["dcterms"] + "created": "date created",
    _P["dcterms"] + "creator": "creator",
    _P["dcterms"] + "description": "description",
    _P["dcterms"] + "identifier": "identifier",
    _P["dcterms"] + "isPartOf": "is part of",
    _P["dcterms"] + "issued": "date issued",
    _P["dcterms"] + "license": "licence",
    _P["dcterms"] + "publisher": "publisher",
    _P["dcterms"] + "references": "references",
    _P["dcterms"] + "relation": "relation",
    _P["dcterms"] + "rights": "rights",
    _P["dcterms"] + "source": "source",
    _P["dcterms"] + "spatial": "spatial coverage",
    _P["dcterms"] + "subject": "subject",
    _P["dcterms"] + "title": "title",
    _P["qb"] + "Observation": "observation",
    _P["bibo"] + "AcademicArticle": "academic article",
    _P["bibo"] + "BookSection": "book section",
    _P["bibo"] + "Document": "document",
    _P["bibo"] + "DocumentPart": "document part",
    _P["bibo"] + "Legislation": "legislation",
    _P["bibo"] + "Report": "report",
    _P["bibo"] + "Slideshow": "slideshow",
    _P["bibo"] + "Standard": "standard",
    _P["bibo"] + "Webpage": "web page",
    _P["bibo"] + "doi": "DOI",
    _P["bibo"] + "isbn": "ISBN",
    _P["bibo"] + "pages": "pages",
    _P["vann"] + "preferredNamespacePrefix": "preferred namespace prefix",
    _P["vann"] + "preferredNamespaceUri": "preferred namespace URI",
    _P["org"] + "Organization": "organisation",
    _P["org"] + "OrganizationalCollaboration": "organisational collaboration",
    _P["org"] + "OrganizationalUnit": "organisational unit",
    _P["org"] + "Post": "post",
    _P["org"] + "Role": "role",
    _P["org"] + "classification": "classification",
    _P["org"] + "linkedTo": "linked to",
    _P["org"] + "postIn": "post in",
    _P["org"] + "purpose": "purpose",
    _P["org"] + "role": "role",
    _P["org"] + "subOrganizationOf": "suborganisation of",
    _P["org"] + "unitOf": "unit of",
    _P["prov"] + "Activity": "activity",
    _P["prov"] + "Entity": "entity",
    _P["prov"] + "used": "used",
    _P["prov"] + "wasDerivedFrom": "was derived from",
    _P["foaf"] + "Document": "document",
    _P["foaf"] + "homepage": "home page",
    _P["foaf"] + "page": "page",
    _P["m8g"] + "Participation": "participation",
    _P["m8g"] + "PublicOrganisation": "public organisation",
    _P["m8g"] + "Requirement": "requirement",
    _P["m8g"] + "hasParticipant": "has participant",
    _P["m8g"] + "hasParticipation": "has participation",
    _P["m8g"] + "role": "role",
    _P["eli"] + "LegalResource": "legal resource",
    _P["schema"] + "Place": "place",
    _P["schema"] + "Project": "project",
    _P["schema"] + "SoftwareApplication": "software application",
    _P["schema"] + "value": "value",
    _P["organisatie"] + "Hoedanigheid": "capacity (hoedanigheid)",
    _P["dcat"] + "Catalog": "catalogue",
    _P["dcat"] + "Dataset": "dataset",
    _P["dcat"] + "Distribution": "distribution",
    _P["dcat"] + "DataService": "data service",
    **{
        _P["dcat"] + k: v
        for k, v in {
            "accessService": "access service",
            "accessURL": "access address",
            "compressFormat": "compression format",
            "contactPoint": "contact point",
            "dataset": "dataset",
            "distribution": "distribution",
            "downloadURL": "download address",
            "endDate": "end date",
            "endpointDescription": "endpoint description",
            "endpointURL": "endpoint address",
            "keyword": "keyword",
            "landingPage": "landing page",
            "mediaType": "media type",
            "servesDataset": "serves dataset",
            "service": "service",
            "startDate": "start date",
            "theme": "theme",
            "themeTaxonomy": "theme taxonomy",
        }.items()
    },
    _P["dcterms"] + "PeriodOfTime": "period of time",
    _P["dcterms"] + "format": "format",
    _P["dcterms"] + "isVersionOf": "is version of",
    _P["dcterms"] + "language": "language",
    _P["dcterms"] + "modified": "date modified",
    _P["dcterms"] + "temporal": "temporal coverage",
    _P["foaf"] + "Agent": "agent",
    _P["foaf"] + "name": "name",
    _P["prov"] + "generatedAtTime": "generated at",
    "http://data.europa.eu/r5r/availability": "availability",
    **{
        "http://www.w3.org/2006/vcard/ns#" + k: v
        for k, v in {
            "Organization": "organisation (contact)",
            "fn": "name",
            "hasURL": "web address",
            "hasEmail": "e-mail",
        }.items()
    },
    **{
        "http://rdfs.org/ns/void#" + k: v
        for k, v in {
            "Dataset": "VoID dataset",
            "class": "class",
            "classPartition": "class partition",
            "classes": "classes",
            "dataDump": "data dump",
            "distinctObjects": "distinct objects",
            "distinctSubjects": "distinct subjects",
            "entities": "entities",
            "exampleResource": "example resource",
            "properties": "properties",
            "property": "property",
            "propertyPartition": "property partition",
            "sparqlEndpoint": "SPARQL endpoint",
            "triples": "triples",
            "uriSpace": "URI space",
            "vocabulary": "vocabulary",
        }.items()
    },
    **{
        "https://w3id.org/tree#" + k: v
        for k, v in {
            "GreaterThanOrEqualToRelation": "greater-than-or-equal-to relation",
            "Node": "fragment (tree node)",
            "member": "member",
            "node": "next fragment",
            "path": "path",
            "relation": "relation",
            "value": "value",
            "view": "view",
        }.items()
    },
    **{
        "https://w3id.org/ldes#" + k: v
        for k, v in {
            "EventStream": "event stream",
            "timestampPath": "timestamp path",
            "versionOfPath": "version-of path",
        }.items()
    },
    **{
        "http://www.w3.org/ns/hydra/core#" + k: v
        for k, v in {
            "Collection": "collection",
            "member": "member",
            "totalItems": "total items",
            "view": "view",
            "PartialCollectionView": "page",
            "first": "first page",
            "next": "next page",
            "last": "last page",
            "previous": "previous page",
        }.items()
    },
}

_MAX_URL = 60


def prefixed_name(iri: str) -> str | None:
    """``org:Organization`` for a term of a known namespace, else None."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            local = iri[len(namespace) :]
            if all(ch.isalnum() or ch in "-_." for ch in local):
                return f"{prefix}:{local}"
    return None


def short_url(iri: str) -> str:
    """The IRI as a reader would write it: host and path, the middle elided when it is long."""
    parts = urlsplit(iri)
    if not parts.netloc:
        return iri
    text = unquote(
        parts.netloc.removeprefix("www.")
        + parts.path.rstrip("/")
        + ("?" + parts.query if parts.query else "")
        + ("#" + parts.fragment if parts.fragment else "")
    )
    if len(text) <= _MAX_URL:
        return text
    segments = text.split("/")
    if len(segments) > 2 and len(segments[0]) + len(segments[-1]) + 3 <= _MAX_URL + 20:
        return f"{segments[0]}/…/{segments[-1]}"
    return text[: _MAX_URL - 1] + "…"


def label_for(iri: str, labels: dict[str, str]) -> str:
    """The label to show for ``iri``: the store's, the vocabulary's, or the IRI itself."""
    return labels.get(iri) or VOCABULARY_LABELS.get(iri) or prefixed_name(iri) or short_url(iri)


def _decimal(value: float | str | Decimal) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def format_number(value: float | str | Decimal) -> str:
    """A number with thousands separators and no needless decimals (``7500000000.0`` → ``7,500,000,000``)."""
    number = _decimal(value)
    if number is None:
        return str(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


_SCALES = ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million"))


def format_quantity(value: float | str | Decimal, notation: str | None) -> str:
    """A value with its unit's notation, as people write it: ``77%``, ``EUR 7.5 billion``, ``4`` (a count)."""
    number = _decimal(value)
    if number is None:
        return f"{value} {notation or ''}".strip()
    if notation == "%":
        return format_number(number) + "%"
    text = format_number(number)
    for scale, word in _SCALES:
        if abs(number) >= scale:
            text = f"{format_number(number / scale)} {word}"
            break
    return f"{notation} {text}" if notation else text
