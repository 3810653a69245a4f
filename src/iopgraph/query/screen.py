"""Screening a query before a remote store runs it: a real parse, in a sandboxed worker, listing its SERVICE calls.

In remote-store mode the store executes queries, with whatever network it has,
so the service must know for sure which endpoints a query calls before it
forwards it. A text scan can be fooled (escapes, comments, strings); a parser
cannot, so the query is parsed by rdflib's SPARQL parser and its algebra walked
for ``SERVICE`` — inside a worker process (:mod:`iopgraph.store.sandbox`), because
parsing untrusted text is exactly the kind of work the server process must not
do. A query rdflib cannot parse is refused (400): what the screen cannot read,
the store does not get.

    result, _ = await backend.isolated("screen-query", {"base": base}, query.encode(), timeout=30)
    result["services"]     # ["http://example.org/sparql", None]  (None: a variable endpoint)
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlsplit

from iopgraph.query.errors import QuerySyntaxError, ServiceRefused


def screen_query(store: object, args: dict[str, Any], payload: bytes) -> tuple[dict[str, Any], bytes]:
    """The worker job: parse ``payload`` (a SPARQL query) and list the endpoints of its SERVICE clauses."""
    from rdflib import URIRef
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    from iopgraph.query.algebra import walk_algebra

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 50_000))  # the worker's stack is big (sandbox)
    text = payload.decode("utf-8")
    try:
        parsed = parseQuery(text)
        query = translateQuery(parsed, base=args.get("base"))
    except Exception as exc:  # any parse failure means: not forwarded
        raise QuerySyntaxError(
            f"the query could not be checked before it is sent to the store, so it is refused: {str(exc)[:300]}"
        ) from None
    services: list[str | None] = []
    for node in walk_algebra(query.algebra):
        if node.name == "ServiceGraphPattern":
            term = node.get("term")
            services.append(str(term) if isinstance(term, URIRef) else None)
    in_text = sum(
        1 for node in walk_algebra(list(parsed)) if getattr(node, "name", "") == "ServiceGraphPattern"
    )
    services += [None] * max(0, in_text - len(services))  # one the algebra lost: refuse it
    return {"services": services}, b""


def check_service_targets(targets: list[str | None], allowlist: list[str]) -> None:
    """Refuse SERVICE endpoints (None: a variable) whose host is not allow-listed (403)."""
    allowed = {h.strip().lower() for h in allowlist if h.strip()}
    for target in targets:
        if target is None:
            raise ServiceRefused(
                "SERVICE with a variable endpoint is not allowed here; name the endpoint's IRI"
            )
        host = (urlsplit(target).hostname or "").lower()
        if host not in allowed:
            listed = ", ".join(sorted(allowed)) or "none"
            raise ServiceRefused(
                f"SERVICE <{target}> is not allowed: its host {host or '(none)'} is not on the allow-list "
                f"(IOPGRAPH_SERVICE_ALLOWLIST; allowed: {listed})"
            )
