"""Data stewardship: checking uploads, SHACL-gated writes, provenance, releases and backups.

    checker = Checker.from_root(settings.root)           # shapes + ontology, parsed once
    report = checker.validate_upload(quads)               # POST /api/validate
    gate = WriteGate(backend, checker, mode, limits)      # every write of /store, /update, `iopgraph load`
    outcome = await gate.write(plan, agent="steward")     # validated, atomic, recorded in PROV-O

Modules: ``uploads`` (request bodies with limits), ``checks`` (validation of
uploads and of changes), ``neighbourhood`` (the shape-aware subgraph a change
can affect), ``changes`` (what a Graph Store request changes), ``sparql_update``
(what a SPARQL Update changes, computed without touching the store), ``gate``
(validate + apply atomically), ``jobs`` (parsing, validation and write planning
as they run in isolated workers), ``isolation`` (the server's side of those
jobs: plans as data, time limits), ``auth`` (bearer tokens), ``provenance``,
``releases`` and ``backup``.
"""

from __future__ import annotations
