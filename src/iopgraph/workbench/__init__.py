"""The steward workbench: browser sign-in, shape-driven forms, proposals, review, history and revert.

* :mod:`.sessions`  — server-side sessions (HttpOnly cookie) and CSRF tokens;
* :mod:`.formmodel` — the forms, generated from the shipped SHACL shapes and the ontology;
* :mod:`.proposals` — proposals waiting for a publisher (SQLite beside the store, never in the graph);
* :mod:`.plans`     — the write plans the gate runs (edit a resource, revert it);
* :mod:`.diff`      — what a change adds and removes, as triples and as labelled lines;
* :mod:`.history`   — a resource's versions, from the provenance graph and the LDES log.

The routes are in :mod:`iopgraph.routers.workbench`; the guide is docs/stewards.md.
"""
