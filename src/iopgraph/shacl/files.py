"""``iopgraph validate --engine sparql``: the source files validated by the compiled shapes.

Mirrors :func:`iopgraph.validation.validate_files`: with no paths, the shipped ontology and data;
with paths, those files in the context of the shipped graph, reporting only results about the
resources they describe.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox

from iopgraph.core.rdfio import graph_to_quads
from iopgraph.core.sources import graph_sources, source_for_path
from iopgraph.shacl.engine import validate_store
from iopgraph.validation import ValidationReport, _expand, load_graph, load_shapes


def validate_files(paths: list[Path] | None, root: Path) -> ValidationReport:
    shipped = graph_sources(root)
    files = [source_for_path(p, root) for p in _expand(paths)] if paths else []
    given = {f.relative for f in files}
    replaced = {f.path.resolve() for f in files}
    loaded = load_graph(files + [f for f in shipped if f.path.resolve() not in replaced])
    store = ox.Store()
    store.bulk_extend(graph_to_quads(loaded.graph, ox.DefaultGraph()))
    report = validate_store(store, load_shapes(root))
    by_iri = {str(s): sorted(sources) for s, sources in loaded.subject_files.items()}
    report.results = [replace(r, source_files=tuple(by_iri.get(r.focus_node, ()))) for r in report.results]
    if given:
        report.results = [r for r in report.results if given & set(r.source_files)]
    return report
