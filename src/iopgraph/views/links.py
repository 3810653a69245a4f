"""The mapping between graph IRIs (``https://w3id.org/iopgraph/...``) and this service's URLs.

The public base resolves to the service: ``https://w3id.org/iopgraph/id/x``
is served at ``<base_url>/id/x``. Pages link to graph IRIs with root-relative
local paths, so they work on any host and behind the w3id redirect.

    >>> local_href("https://w3id.org/iopgraph/concept/challenge/lack-of-trust")
    '/concept/challenge/lack-of-trust'
    >>> local_href("https://example.org/x")
    'https://example.org/x'
    >>> graph_iri("/id/initiative/x")
    'https://w3id.org/iopgraph/id/initiative/x'
"""

from __future__ import annotations

from iopgraph.core.namespaces import BASE


def local_href(iri: str) -> str:
    """Where a page links for ``iri``: a local path for graph IRIs, the IRI itself otherwise."""
    if iri.startswith(BASE):
        return "/" + iri[len(BASE) :]
    return iri


def is_graph_iri(iri: str) -> bool:
    return iri.startswith(BASE)


def graph_iri(path: str) -> str:
    """The graph IRI a local path stands for (``/id/x`` → ``https://w3id.org/iopgraph/id/x``)."""
    return BASE + path.lstrip("/")


def service_url(base_url: str, path: str) -> str:
    """An absolute URL on this service (``base_url`` from the settings)."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")
