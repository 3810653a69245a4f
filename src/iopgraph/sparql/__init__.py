"""The SPARQL service: protocol parsing, safety checks, killable query workers, results, named queries.

Modules, one job each:

* :mod:`~iopgraph.sparql.protocol` — an HTTP request → the SPARQL 1.1 Protocol query operation (or a 4xx);
* :mod:`~iopgraph.query.lexer` — what a query is (form, SERVICE targets, updates, dataset) before it runs;
* :mod:`~iopgraph.sparql.service` — checks, result format, cache; :mod:`~iopgraph.sparql.cache` — the result LRU;
* :mod:`~iopgraph.store.pool` / :mod:`~iopgraph.store.worker` / :mod:`~iopgraph.store.wire` — worker
  processes with in-memory copies of the graph, killed at the timeout;
* :mod:`~iopgraph.store.engine` — evaluation and capped serialisation with Oxigraph's own writers;
* :mod:`~iopgraph.sparql.named` / :mod:`~iopgraph.query.binding` / :mod:`~iopgraph.http.query_api` — named
  queries (``queries/*.rq``), parameters bound as RDF terms, the ``/api/queries`` service;
* :mod:`~iopgraph.http.sparql`, :mod:`~iopgraph.sparql.description`, :mod:`~iopgraph.views.sparql_editor`,
  :mod:`~iopgraph.http.cors` — responses, Service Description, the YASGUI page, read-only CORS;
* :mod:`~iopgraph.query.errors` — the error tree.
"""

from __future__ import annotations
