"""Full-text search over the graph: SQLite FTS5 index, query parsing, suggestions and facets (issue 14).

* :mod:`~iopgraph.search.query`: the user's text → a safe FTS5 MATCH expression;
* :mod:`~iopgraph.search.records`: what is indexed for each resource, read from the store;
* :mod:`~iopgraph.search.index`: the SQLite file (build, update, search, suggest, facet counts);
* :mod:`~iopgraph.search.service`: the index of a running service, kept in step with writes.
"""
