"""`iopgraph load`: files into named graphs of the embedded store, through the same SHACL gate as the API.

    outcome = load_files(store, root, {graph_iri: quads, ...}, replace=True, agent="cli")

All graphs are written in ONE gated write: every file lands, or none does.
By default a file goes into ``https://w3id.org/iopgraph/graph/contrib/<file-stem-slug>``
(a graph that survives rebuilds from ``data/``) and replaces that graph's content.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pyoxigraph as ox

from iopgraph.core import namespaces
from iopgraph.core.iri import slugify
from iopgraph.stewardship.changes import Change, merge_into_graph, replace_graph
from iopgraph.stewardship.checks import Checker
from iopgraph.stewardship.gate import WriteGate, WriteOutcome
from iopgraph.store.backend import LocalBackend


def contrib_graph(path: Path) -> str:
    """The default graph of a loaded file: ``…/graph/contrib/<slug of the file name without extensions>``."""
    stem = path.name.split(".", 1)[0]
    return namespaces.contrib_graph(slugify(stem))


def load_files(
    store: ox.Store,
    checker: Checker,
    graphs: dict[str, list[ox.Quad]],
    replace: bool,
    agent: str,
    mode: str = "neighbourhood",
) -> WriteOutcome:
    """Write ``graphs`` (graph IRI → triples) in one validated, atomic write; raises ValidationFailed (422)."""

    def plan(source: ox.Store) -> Change:
        combined = Change(operation="load (replace graph)" if replace else "load (add to graph)")
        for iri, quads in graphs.items():
            graph = ox.NamedNode(iri)
            part = replace_graph(source, graph, quads) if replace else merge_into_graph(source, graph, quads)
            combined.remove += part.remove
            combined.add += part.add
            combined.created = combined.created or part.created
        return combined

    gate = WriteGate(LocalBackend(store), checker, mode)

    async def run() -> WriteOutcome:
        return await gate.write(plan, agent)

    return anyio.run(run)
