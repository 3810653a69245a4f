"""The lowest layer: settings, errors, media types and negotiation, namespaces, IRI minting, RDF reading."""
