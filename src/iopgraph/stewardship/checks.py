"""SHACL checks for stewards: an upload on its own, or a change to the stored graph.

    checker = Checker.from_root(root)
    report = checker.validate_upload(quads)                    # the upload's resources (ontology mixed in)
    check = checker.check_change(store, change, version="...")  # the violations a change would introduce

Both run :func:`iopgraph.validation.validate_graph` (pySHACL), the project's one
validator. A change is judged by what it *introduces*: the results of the graph
after the change that the graph before it did not have. When the stored graph
conforms (CI keeps the shipped data so) that is exactly "the graph after the
write conforms"; when it does not, old problems elsewhere do not block an
unrelated fix. Two ways to compute it, with the same verdict (tested):

* ``neighbourhood`` (default): only the focus nodes the change can affect,
  validated on the subgraph the shapes read around them
  (:mod:`iopgraph.stewardship.neighbourhood`); milliseconds.
* ``full``: the whole graph before and after; the "before" report is cached
  per store version, so consecutive writes pay for one full run each.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH, XSD

from iopgraph.core.namespaces import PREFIXES
from iopgraph.core.rdfio import quads_to_graph
from iopgraph.core.sources import graph_sources, rdf_files, source_for_path
from iopgraph.stewardship.changes import Change, is_system_graph
from iopgraph.validation import (
    ValidationReport,
    ValidationResult,
    load_graph,
    load_shapes,
    read_results,
    validate_graph,
)

if TYPE_CHECKING:
    from iopgraph.stewardship.neighbourhood import ShapeModel

ResultKey = tuple[str, str, str | None, str | None, str | None, str | None, str]


def result_key(r: ValidationResult) -> ResultKey:
    """What identifies a result across two validation runs (blank-node shapes have no name: the message helps)."""
    return (r.severity, r.focus_node, r.path, r.value, r.shape, r.constraint, r.message)


@dataclass
class ChangeCheck:
    """The results a change introduces (``report``), and how they were computed."""

    report: ValidationReport
    mode: str
    focus_nodes: int
    full_after: ValidationReport | None = None  # the whole graph's report after the change (full mode)

    @property
    def accepted(self) -> bool:
        return self.report.conforms


def data_graph(source: ox.Store) -> rdflib.Graph:
    """The union of the store's graphs that validation sees (system graphs such as provenance left out)."""
    quads = (q for q in source.quads_for_pattern(None, None, None) if not is_system_graph(q.graph_name))
    return quads_to_graph(quads)


def empty_report() -> ValidationReport:
    return ValidationReport([], rdflib.Graph())


def restrict(report: ValidationReport, keep: set[ResultKey]) -> ValidationReport:
    """A copy of ``report`` holding only the results whose key is in ``keep`` (report graph included)."""
    graph = rdflib.Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    node = rdflib.BNode()
    graph.add((node, RDF.type, SH.ValidationReport))
    kept: list[ValidationResult] = []
    source = report.report_graph
    for res in source.subjects(RDF.type, SH.ValidationResult):
        one = _closure(source, res)
        # A result's sh:detail holds nested results (also typed sh:ValidationResult): leave them out of its key.
        found = read_results(_closure(source, res, skip=SH.detail), {})
        if not found:
            continue
        # Match the flattened result back (same prefixes, so paths and values print alike); a result
        # that cannot be matched is kept: when in doubt, report it rather than let a write through.
        r = next((x for x in report.results if _same(x, found[0])), None)
        if r is None or result_key(r) in keep:
            r = r or found[0]
            graph += one
            graph.add((node, SH.result, res))
            kept.append(r)
    conforms = not any(r.severity == "Violation" for r in kept)
    graph.add((node, SH.conforms, rdflib.Literal(conforms, datatype=XSD.boolean)))
    return ValidationReport(kept, graph)


def _same(a: ValidationResult, b: ValidationResult) -> bool:
    return (a.severity, a.focus_node, a.path, a.value, a.constraint) == (
        b.severity,
        b.focus_node,
        b.path,
        b.value,
        b.constraint,
    ) and (a.shape == b.shape)


def _closure(graph: rdflib.Graph, node: rdflib.term.Node, skip: rdflib.URIRef | None = None) -> rdflib.Graph:
    """The triples about ``node`` and, recursively, about the blank nodes it points to (not via ``skip``)."""
    out = rdflib.Graph()
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace, replace=True)
    todo, seen = [node], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        for p, o in graph.predicate_objects(n):
            if p == skip:
                continue
            out.add((n, p, o))
            if isinstance(o, rdflib.BNode):
                todo.append(o)
    return out


def introduced(before: ValidationReport, after: ValidationReport) -> ValidationReport:
    """The results of ``after`` that ``before`` did not have."""
    old = {result_key(r) for r in before.results}
    return restrict(after, {result_key(r) for r in after.results} - old)


class Checker:
    """The project's shapes and ontology, parsed once, and the checks built on them."""

    def __init__(self, shapes: rdflib.Graph, ontology: rdflib.Graph) -> None:
        self.shapes = shapes
        self.ontology = ontology
        self._full_before: tuple[str, ValidationReport] | None = None
        self._model: ShapeModel | None = None

    @classmethod
    def from_root(cls, root: Path) -> Checker:
        ontology_files = [f for f in graph_sources(root) if f.relative.startswith("ontology/")]
        return cls(load_shapes(root), load_graph(ontology_files).graph)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Checker:
        """The checker a :func:`checker_spec` describes (the service's and its workers' are the same)."""
        root = Path(spec["root"])
        if spec.get("shapes"):
            shapes = Path(spec["shapes"])
            files = rdf_files(shapes, shapes) if shapes.is_dir() else [source_for_path(shapes, root)]
            ontology = rdflib.Graph() if spec.get("served") else cls.from_root(root).ontology
            return cls(load_graph(files).graph, ontology)
        if spec.get("served"):
            return cls(
                rdflib.Graph(), rdflib.Graph()
            )  # served files without --shapes: nothing to check against
        return cls.from_root(root)

    @property
    def has_shapes(self) -> bool:
        return len(self.shapes) > 0

    @property
    def model(self) -> ShapeModel:  # imported lazily (it is only needed by writes)
        from iopgraph.stewardship.neighbourhood import ShapeModel

        if self._model is None:
            self._model = ShapeModel(self.shapes)
        return self._model

    # -- uploads ---------------------------------------------------------------------------------

    def validate_upload(self, quads: list[ox.Quad]) -> ValidationReport:
        """Validate uploaded quads (graph names dropped) together with the ontology.

        Only results about the upload's own resources are reported: those it
        describes (subjects of its triples) and those it links to that the
        ontology does not define (a dangling link is a finding about the upload).
        The ontology is there so that class hierarchies count, not to be judged.
        """
        if not self.has_shapes:
            return restrict(empty_report(), set())
        data = quads_to_graph(quads)
        defined = set(self.ontology.subjects())
        own = {str(s) for s in data.subjects()}
        own |= {str(o) for o in data.objects() if not isinstance(o, rdflib.Literal) and o not in defined}
        report = validate_graph(data, self.shapes, self.ontology)
        return restrict(report, {result_key(r) for r in report.results if r.focus_node in own})

    # -- changes ---------------------------------------------------------------------------------

    def check_change(
        self, source: ox.Store, change: Change, mode: str = "neighbourhood", version: str | None = None
    ) -> ChangeCheck:
        """The results ``change`` would introduce into the graph held by ``source``."""
        if not self.has_shapes:
            return ChangeCheck(restrict(empty_report(), set()), "no shapes", 0)
        if mode == "neighbourhood":
            plan = self.model.plan(source, change)
            if plan is not None:
                if not plan.focus_nodes:  # nothing any shape targets can see the change
                    return ChangeCheck(restrict(empty_report(), set()), "neighbourhood", 0)
                before = validate_graph(plan.before, self.shapes, focus_nodes=plan.focus_nodes)
                after = validate_graph(plan.after, self.shapes, focus_nodes=plan.focus_nodes)
                return ChangeCheck(introduced(before, after), "neighbourhood", len(plan.focus_nodes))
        return self._check_full(source, change, version)

    def _check_full(self, source: ox.Store, change: Change, version: str | None) -> ChangeCheck:
        graph = data_graph(source)
        if version is not None and self._full_before and self._full_before[0] == version:
            before = self._full_before[1]
        else:
            before = validate_graph(graph, self.shapes)
        change.apply_to(graph, source)
        after = validate_graph(graph, self.shapes)
        return ChangeCheck(
            introduced(before, after), "full", len({r.focus_node for r in after.results}), after
        )

    def remember(self, version: str, check: ChangeCheck) -> None:
        """``check``'s change landed and the store is now at ``version``: keep its full report for the next check."""
        if check.full_after is not None:
            self._full_before = (version, check.full_after)


def checker_spec(root: Path, shapes: Path | None, served: bool) -> dict[str, Any]:
    """What a checker is made of, as JSON: the service builds its checker from it, and so do its workers.

    The project's ``shapes/`` (and ontology), or ``shapes`` (``--shapes``/IOPGRAPH_SHAPES); files
    served with ``iopgraph serve FILE`` and no shapes are not checked.
    """
    return {"root": str(root), "shapes": str(shapes.resolve()) if shapes else None, "served": served}


def describe_spec(spec: dict[str, Any]) -> str:
    """One line for the start-up log: which shapes writes and /api/validate check against."""
    if spec.get("shapes"):
        return f"the shapes in {spec['shapes']}"
    if spec.get("served"):
        return "no shapes (served files; give --shapes PATH or IOPGRAPH_SHAPES to check writes)"
    return f"the project's shapes in {Path(spec['root']) / 'shapes'}"
