"""SHACL validation of the graph with pySHACL, and reports a data steward can act on.

    report = validate_files([Path("data/initiatives.ttl")], root)
    print(format_text(report))

A result names the focus node, the path, the offending value, the shape's
message, the severity and the source file(s) that describe the focus node.
The ontology is added to the data graph so ``rdfs:subClassOf`` links between
classes count for ``sh:targetClass`` and ``sh:class``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, RDFS, SH

from iopgraph.core.errors import IopgraphError
from iopgraph.core.namespaces import PREFIXES
from iopgraph.core.rdfio import parse_file, quads_to_graph
from iopgraph.core.sources import SourceFile, graph_sources, rdf_files, shape_sources, source_for_path


class InvalidShapes(IopgraphError):
    """The shapes graph itself is broken (a bug in shapes/, not in the data)."""

    code = "invalid-shapes"


SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result, flattened for people and JSON."""

    severity: str
    focus_node: str
    path: str | None
    value: str | None
    message: str
    shape: str | None
    constraint: str | None
    source_files: tuple[str, ...] = ()


@dataclass
class ValidationReport:
    """The verdict: ``conforms`` is False when there is at least one violation."""

    results: list[ValidationResult]
    report_graph: rdflib.Graph = field(repr=False)

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, object]:
        return {
            "conforms": self.conforms,
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "results": [asdict(r) for r in self.results],
        }


@dataclass
class LoadedGraph:
    """Triples merged from several files, remembering which file described which subject."""

    graph: rdflib.Graph
    subject_files: dict[rdflib.term.Node, set[str]]


def load_graph(files: list[SourceFile]) -> LoadedGraph:
    """Parse ``files`` into one rdflib graph (raises RdfSyntaxError naming file and line)."""
    graph = rdflib.Graph()
    subject_files: dict[rdflib.term.Node, set[str]] = defaultdict(set)
    for f in files:
        part = quads_to_graph(parse_file(f.path))
        for s in set(part.subjects()):
            subject_files[s].add(f.relative)
        graph += part
    return LoadedGraph(graph, subject_files)


def load_shapes(root: Path) -> rdflib.Graph:
    return load_graph(shape_sources(root)).graph


def _short(node: rdflib.term.Node | None, graph: rdflib.Graph) -> str | None:
    if node is None:
        return None
    if isinstance(node, rdflib.BNode):
        # Describe a blank path (e.g. sh:inversePath) rather than printing its id.
        for p, o in graph.predicate_objects(node):
            if p == SH.inversePath:
                return f"^{_short(o, graph)}"
            if p in (SH.zeroOrMorePath, SH.oneOrMorePath):
                return f"{_short(o, graph)}{'*' if p == SH.zeroOrMorePath else '+'}"
        items = list(graph.items(node))
        if items:
            return "/".join(str(_short(i, graph)) for i in items)
        return "_:" + str(node)
    if isinstance(node, rdflib.Literal):
        return str(node)
    return graph.namespace_manager.normalizeUri(str(node)) if str(node).startswith("http") else str(node)


def read_results(
    report_graph: rdflib.Graph,
    subject_files: dict[rdflib.term.Node, set[str]],
    shapes: rdflib.Graph | None = None,
) -> list[ValidationResult]:
    """Flatten the sh:ValidationResult nodes of a pySHACL report graph."""
    results = []
    for res in report_graph.subjects(RDF.type, SH.ValidationResult):
        focus = report_graph.value(res, SH.focusNode)
        severity = report_graph.value(res, SH.resultSeverity)
        path = report_graph.value(res, SH.resultPath)
        shape = report_graph.value(res, SH.sourceShape)
        messages = [str(m) for m in report_graph.objects(res, SH.resultMessage)]
        if shapes is not None and shape is not None:
            own = [str(m) for m in shapes.objects(shape, SH.message)]
            messages = own or messages
        constraint = report_graph.value(res, SH.sourceConstraintComponent)
        results.append(
            ValidationResult(
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                focus_node=str(focus),
                path=_short(path, report_graph),
                value=_short(report_graph.value(res, SH.value), report_graph),
                message=" ".join(messages) or "constraint not met",
                shape=None if isinstance(shape, rdflib.BNode) else _short(shape, report_graph),
                constraint=str(constraint).rsplit("#", 1)[-1] if constraint else None,
                source_files=tuple(sorted(subject_files.get(focus, ()))) if focus is not None else (),
            )
        )
    results.sort(
        key=lambda r: (SEVERITY_ORDER.get(r.severity, 9), r.source_files, r.focus_node, r.path or "")
    )
    return results


def _run_pyshacl(data: rdflib.Graph, shapes: rdflib.Graph, ontology: rdflib.Graph | None) -> rdflib.Graph:
    import pyshacl  # here, not at the top: a service that validates nothing never loads it

    outcome = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        allow_warnings=True,
        advanced=True,
        do_owl_imports=False,
    )
    report_graph = outcome[1]
    if not isinstance(report_graph, rdflib.Graph):
        raise InvalidShapes(f"the SHACL shapes cannot be used: {outcome[2]}")
    return report_graph


def targeted_focus_nodes(
    data: rdflib.Graph, shapes: rdflib.Graph, focus_nodes: Sequence[rdflib.term.Node]
) -> dict[rdflib.term.Node, list[rdflib.term.Node]]:
    """For each node shape, which of ``focus_nodes`` its targets select in ``data``.

    Class targets follow ``rdfs:subClassOf*`` in the data graph, as SHACL says.
    """
    superclasses: dict[rdflib.term.Node, set[rdflib.term.Node]] = {}

    def classes_of(node: rdflib.term.Node) -> set[rdflib.term.Node]:
        if node not in superclasses:
            found: set[rdflib.term.Node] = set()
            todo = list(data.objects(node, RDF.type))
            while todo:
                c = todo.pop()
                if c not in found:
                    found.add(c)
                    todo.extend(data.objects(c, RDFS.subClassOf))
            superclasses[node] = found
        return superclasses[node]

    selected: dict[rdflib.term.Node, list[rdflib.term.Node]] = {}
    for shape in set(shapes.subjects(RDF.type, SH.NodeShape)):
        classes = set(shapes.objects(shape, SH.targetClass))
        nodes = set(shapes.objects(shape, SH.targetNode))
        subjects_of = set(shapes.objects(shape, SH.targetSubjectsOf))
        objects_of = set(shapes.objects(shape, SH.targetObjectsOf))
        chosen = [
            f
            for f in focus_nodes
            if (classes & classes_of(f))
            or f in nodes
            or any((f, p, None) in data for p in subjects_of)
            or any((None, p, f) in data for p in objects_of)
        ]
        if chosen:
            selected[shape] = chosen
    return selected


TARGET_PREDICATES = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


def focused_shapes(
    data: rdflib.Graph, shapes: rdflib.Graph, focus_nodes: Sequence[rdflib.term.Node]
) -> rdflib.Graph:
    """A copy of ``shapes`` whose node shapes target exactly the focus nodes they select in ``data``."""
    focused = rdflib.Graph()
    for prefix, namespace in shapes.namespaces():
        focused.bind(prefix, namespace)
    for triple in shapes:
        if triple[1] not in TARGET_PREDICATES:
            focused.add(triple)
    for shape, nodes in targeted_focus_nodes(data, shapes, focus_nodes).items():
        for node in nodes:
            focused.add((shape, SH.targetNode, node))
    return focused


def validate_graph(
    data: rdflib.Graph,
    shapes: rdflib.Graph,
    ontology: rdflib.Graph | None = None,
    subject_files: dict[rdflib.term.Node, set[str]] | None = None,
    focus_nodes: Sequence[rdflib.term.Node] | None = None,
) -> ValidationReport:
    """Validate ``data`` (with ``ontology`` mixed in) against ``shapes``.

    With ``focus_nodes``, only those nodes are validated (against every shape that
    targets them), still seeing the whole data graph for links and paths. pySHACL's
    own ``focus_nodes`` and ``use_shapes`` options are not used: in pySHACL 0.40 both
    skip the value nodes of nested shapes (``sh:node``, ``sh:or``, qualified shapes)
    and so pass data that full validation rejects. Instead each targeting shape's
    targets are rewritten to ``sh:targetNode`` for exactly the focus nodes it
    selects (:func:`focused_shapes`), which gives the verdict of full validation.
    """
    if not focus_nodes:
        report_graph = _run_pyshacl(data, shapes, ontology)
    else:
        if ontology is not None:
            data = data + ontology
        report_graph = _run_pyshacl(data, focused_shapes(data, shapes, focus_nodes), None)
    for prefix, namespace in PREFIXES.items():
        report_graph.bind(prefix, namespace, replace=True)
    return ValidationReport(read_results(report_graph, subject_files or {}, shapes), report_graph)


def validate_files(paths: list[Path] | None, root: Path) -> ValidationReport:
    """Validate the given files (default: the shipped ontology and data) with the project's shapes.

    Given files are validated in the context of the shipped graph, so links to
    existing organisations, sections or challenges resolve; only results about
    resources the given files describe are reported.
    """
    shipped = graph_sources(root)
    if not paths:
        loaded = load_graph(shipped)
        return validate_graph(loaded.graph, load_shapes(root), None, loaded.subject_files)
    files = [source_for_path(p, root) for p in _expand(paths)]
    given = {f.relative for f in files}
    context = [f for f in shipped if f.path.resolve() not in {g.path.resolve() for g in files}]
    loaded = load_graph(files + context)
    focus = [
        s
        for s, sources in loaded.subject_files.items()
        if given & sources and not isinstance(s, rdflib.BNode)
    ]
    report = validate_graph(loaded.graph, load_shapes(root), None, loaded.subject_files, focus)
    report.results = [r for r in report.results if given & set(r.source_files)]
    return report


def _expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        out.extend(f.path for f in rdf_files(p, p)) if p.is_dir() else out.append(p)
    return out


def format_text(report: ValidationReport) -> str:
    """A readable report: one block per result, grouped by source file."""
    lines: list[str] = []
    current: tuple[str, ...] | None = None
    for r in report.results:
        if r.source_files != current:
            current = r.source_files
            lines.append("")
            lines.append(f"== {', '.join(current) or '(no source file)'}")
        lines.append(f"[{r.severity.upper()}] {r.focus_node}")
        if r.path:
            lines.append(f"    path:    {r.path}")
        if r.value is not None:
            lines.append(f"    value:   {r.value}")
        lines.append(f"    message: {r.message}")
        if r.shape:
            lines.append(f"    shape:   {r.shape}")
    summary = (
        f"{'Conforms' if report.conforms else 'Does not conform'}: "
        f"{len(report.violations)} violation(s), {len(report.warnings)} warning(s)."
    )
    lines.append("")
    lines.append(summary)
    return "\n".join(lines).lstrip("\n")


def format_json(report: ValidationReport) -> str:
    return json.dumps(report.to_json(), indent=2)
