"""SPARQL 1.1 Update turned into a :class:`Change`, without touching the store.

    change = update_change(store, "DELETE WHERE { GRAPH ?g { <s> <p> ?o } } ; INSERT DATA { ... }",
                           UpdateOptions(using_graphs=["http://example.org/g"], base_iri=".../update"))

rdflib parses the update and evaluates the WHERE clauses over a read-only view
of the Oxigraph store; this module runs the operations itself, in order, over an
:class:`Overlay` that keeps writes aside as quads to add and remove. Operations
see each other's effects, as the standard requires; the write gate validates the
result and only then applies it, in one transaction. It depends on nothing but
its arguments (no settings, no network), so it can run in an isolated worker.

Semantics (docs/conformance.md):

* **reading** — a WHERE clause outside ``GRAPH`` reads the union of all graphs (as
  ``/sparql`` does), unless ``WITH``, ``USING``/``USING NAMED`` or the protocol's
  ``using-graph-uri``/``using-named-graph-uri`` give its dataset;
* **writing** — the default graph is the store's own default graph, the one
  ``/store?default`` addresses: INSERT/DELETE templates and DATA outside
  ``GRAPH`` (or the ``WITH`` graph), ``CLEAR``/``DROP DEFAULT``, ``ADD``/``MOVE``/
  ``COPY DEFAULT``;
* **protected graphs** (file-backed, provenance, releases; see
  :mod:`iopgraph.stewardship.changes`): an operation naming one as a target is
  refused (403); ``CLEAR``/``DROP ALL`` and ``NAMED`` act on the other graphs;
  a DELETE whose ``GRAPH ?g`` matches a protected graph leaves its quads out of
  the change; an INSERT into one is refused;
* refused (400 ``update-not-allowed``): LOAD and SERVICE; protocol dataset
  parameters together with USING/USING NAMED/WITH (400 ``update-dataset-conflict``).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox
from pyparsing import ParseException
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID, Dataset, Graph
from rdflib.plugins.sparql import algebra, parser
from rdflib.plugins.sparql.evaluate import evalPart
from rdflib.plugins.sparql.evalutils import _fillTemplate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import QueryContext
from rdflib.store import Store
from rdflib.term import BNode, Literal, Node, URIRef, Variable

from iopgraph.core.errors import InputError, IopgraphError, UpdateNotAllowed
from iopgraph.core.rdfio import from_rdflib, to_rdflib
from iopgraph.query.algebra import walk_algebra
from iopgraph.stewardship.changes import Change, GraphName, is_protected, protected_graph_error

DEFAULT = ox.DefaultGraph()


@dataclass(frozen=True)
class UpdateOptions:
    """The protocol's options of one update request (SPARQL 1.1 Protocol §2.2), JSON-able.

    They cross the process boundary to the isolated worker that plans the update,
    so every field is plain data.
    """

    using_graphs: list[str] = field(default_factory=list)  # using-graph-uri
    using_named_graphs: list[str] = field(default_factory=list)  # using-named-graph-uri
    base_iri: str | None = None  # relative IRIs in the update resolve against it

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UpdateOptions:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    @property
    def gives_dataset(self) -> bool:
        return bool(self.using_graphs or self.using_named_graphs)


class InvalidUpdate(InputError):
    code = "invalid-update"


class DatasetConflict(InputError):
    code = "update-dataset-conflict"


# -- the overlay: the store as it is, minus what was removed, plus what was added ---------------------------


class Overlay:
    """Quads to add and remove on top of an Oxigraph store that is never modified."""

    def __init__(self, base: ox.Store) -> None:
        self.base = base
        self.added: set[ox.Quad] = set()
        self.removed: set[ox.Quad] = set()
        self._names: set[ox.NamedNode] | None = None

    def quads(
        self, s: Any = None, p: Any = None, o: Any = None, g: GraphName | None = None
    ) -> Iterator[ox.Quad]:
        for q in self.base.quads_for_pattern(s, p, o, g):
            if q not in self.removed:
                yield q
        for q in list(self.added):
            if (
                (s is None or q.subject == s)
                and (p is None or q.predicate == p)
                and (o is None or q.object == o)
                and (g is None or q.graph_name == g)
            ):
                yield q

    def graph_names(self) -> set[ox.NamedNode]:
        """The named graphs holding at least one quad (cached until the next write)."""
        if self._names is None:
            candidates = {g for g in self.base.named_graphs() if isinstance(g, ox.NamedNode)}
            candidates |= {q.graph_name for q in self.added if isinstance(q.graph_name, ox.NamedNode)}
            self._names = {g for g in candidates if self.exists(g)}
        return set(self._names)

    def exists(self, graph: GraphName) -> bool:
        return isinstance(graph, ox.DefaultGraph) or any(True for _ in self.quads(g=graph))

    def add(self, q: ox.Quad) -> None:
        if is_protected(q.graph_name):
            assert isinstance(q.graph_name, ox.NamedNode)
            raise protected_graph_error(q.graph_name)
        self._names = None
        if q in self.removed:
            self.removed.discard(q)
        elif not any(
            True for _ in self.base.quads_for_pattern(q.subject, q.predicate, q.object, q.graph_name)
        ):
            self.added.add(q)

    def remove(self, q: ox.Quad) -> None:
        """Remove ``q``; quads of protected graphs are left out (never removed)."""
        if is_protected(q.graph_name):
            return
        self._names = None
        if q in self.added:
            self.added.discard(q)
        elif any(True for _ in self.base.quads_for_pattern(q.subject, q.predicate, q.object, q.graph_name)):
            self.removed.add(q)

    def clear(self, graph: GraphName) -> None:
        for q in list(self.quads(g=graph)):
            self.remove(q)

    def change(self) -> Change:
        return Change(sorted(self.removed, key=str), sorted(self.added, key=str), "SPARQL Update")


# -- the dataset a WHERE clause reads ------------------------------------------------------------------------


class DatasetView(Store):
    """A read-only rdflib store over the overlay: the WHERE clause's default graph and named graphs.

    ``default`` / ``named`` are graph sets; None means every graph (for ``default``:
    the union of all graphs, the store's default graph included).
    """

    context_aware = True
    graph_aware = True
    formula_aware = False
    transaction_aware = False

    def __init__(
        self, overlay: Overlay, default: frozenset[GraphName] | None, named: frozenset[ox.NamedNode] | None
    ) -> None:
        super().__init__()
        self.overlay = overlay
        self.default = default
        self.named = named

    def _graphs(self, context: Any) -> list[GraphName | None]:
        ident = context.identifier if isinstance(context, Graph) else context
        if ident is None or ident == DATASET_DEFAULT_GRAPH_ID or isinstance(ident, BNode):
            return [None] if self.default is None else list(self.default)
        graph = ox.NamedNode(str(ident))
        return [graph] if self.named is None or graph in self.named else []

    def triples(self, triple_pattern: Any, context: Any = None) -> Iterator[Any]:
        s, p, o = triple_pattern
        if isinstance(s, Literal) or (p is not None and not isinstance(p, URIRef)):
            return
        os_, op, oo = (None if t is None else from_rdflib(t) for t in (s, p, o))
        seen: set[tuple[Node, Node, Node]] = set()
        for graph in self._graphs(context):
            for q in self.overlay.quads(os_, op, oo, graph):
                key = (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
                if key not in seen:
                    seen.add(key)
                    yield key, iter(())

    def __len__(self, context: Any = None) -> int:
        return sum(1 for _ in self.triples((None, None, None), context))

    def contexts(self, triple: Any = None) -> Generator[Graph, None, None]:
        names = (
            self.overlay.graph_names()
            if self.named is None
            else {n for n in self.named if self.overlay.exists(n)}
        )
        for name in sorted(names, key=str):
            yield Graph(store=self, identifier=URIRef(name.value))

    def add_graph(self, graph: Graph) -> None:
        pass  # read-only; graphs exist while they hold quads

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        raise InvalidUpdate("the WHERE clause of an update cannot write")

    def remove(self, triple: Any, context: Any = None) -> None:
        raise InvalidUpdate("the WHERE clause of an update cannot write")


def _where_context(overlay: Overlay, op: CompValue, options: UpdateOptions, prologue: Any) -> QueryContext:
    """The evaluation context of ``op``'s WHERE clause with its dataset (SPARQL 1.1 Update §3.1.3)."""
    default: frozenset[GraphName] | None = None
    named: frozenset[ox.NamedNode] | None = None
    using = list(op.using or [])
    if options.gives_dataset:
        default = frozenset(ox.NamedNode(g) for g in options.using_graphs)
        named = frozenset(ox.NamedNode(g) for g in options.using_named_graphs)
    elif using:
        default = frozenset(ox.NamedNode(str(u.default)) for u in using if u.default)
        named = frozenset(ox.NamedNode(str(u.named)) for u in using if u.named)
    elif op.withClause:
        default = frozenset({ox.NamedNode(str(op.withClause))})
    view = DatasetView(overlay, default, named)
    dataset = Dataset(store=view)
    ctx = QueryContext(dataset, initBindings={})
    ctx.graph = dataset.default_graph
    ctx.prologue = prologue
    return ctx


# -- screening ----------------------------------------------------------------------------------------------


def _graph_term(term: Any) -> ox.NamedNode | None:
    return ox.NamedNode(str(term)) if isinstance(term, URIRef) else None


def _refuse_protected(terms: Iterable[Any]) -> None:
    for term in terms:
        graph = _graph_term(term)
        if graph is not None and is_protected(graph):
            raise protected_graph_error(graph)


def _screen(op: CompValue, options: UpdateOptions) -> None:
    """Refuse what the service does not run, and writes naming a protected graph."""
    name = op.name
    if name == "Load":
        raise UpdateNotAllowed(
            "LOAD is not allowed: the service fetches nothing from the network; "
            "send the data with INSERT DATA or to /store"
        )
    if any(part.name == "ServiceGraphPattern" for part in walk_algebra(op)):
        raise UpdateNotAllowed("SERVICE is not allowed in updates")
    if name == "Modify" and options.gives_dataset and (op.using or op.withClause):
        raise DatasetConflict(
            "the request gives the dataset twice: using-graph-uri / using-named-graph-uri "
            "parameters and USING, USING NAMED or WITH in the update (SPARQL 1.1 Protocol "
            "§2.2.3); use one or the other"
        )
    if name in ("InsertData", "DeleteData"):
        _refuse_protected(op.quads or {})
    elif name == "Modify":
        templates = [c for c in (op.delete, op.insert) if c]
        _refuse_protected(g for c in templates for g in (c.quads or {}))
        if op.withClause and any(c.triples for c in templates):
            _refuse_protected([op.withClause])
    elif name == "DeleteWhere":
        _refuse_protected(op.quads or {})
    elif name in ("Clear", "Drop", "Create"):
        _refuse_protected([op.graphiri])
    elif name in ("Add", "Copy"):
        _refuse_protected([op.graph[1]])
    elif name == "Move":
        _refuse_protected(op.graph)


# -- running the operations ---------------------------------------------------------------------------------


def _quad(triple: tuple[Node, Node, Node], graph: GraphName) -> ox.Quad | None:
    """The quad of an instantiated template triple; None when it is not valid RDF (e.g. a literal subject)."""
    s, p, o = triple
    if (
        isinstance(s, Literal)
        or not isinstance(p, URIRef)
        or isinstance(s, Variable)
        or isinstance(o, Variable)
    ):
        return None
    try:
        # rdflib types every position as Node; s and p are checked above (pyoxigraph raises TypeError else).
        return ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o), graph)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _template_quads(clause: Any, solution: Any, default: GraphName) -> Iterator[ox.Quad]:
    """The quads of a DELETE/INSERT template for one solution (fresh blank nodes per solution)."""
    if not clause:
        return
    for triple in _fillTemplate(clause.triples or [], solution):
        q = _quad(triple, default)
        if q is not None:
            yield q
    for g, triples in (clause.quads or {}).items():
        name = solution.get(g) if isinstance(g, Variable) else g
        if not isinstance(name, URIRef):
            continue  # an unbound or non-IRI graph variable: the template makes no quad
        for triple in _fillTemplate(triples, solution):
            q = _quad(triple, ox.NamedNode(str(name)))
            if q is not None:
                yield q


def _modify(overlay: Overlay, op: CompValue, options: UpdateOptions, prologue: Any) -> None:
    """DELETE/INSERT … WHERE: every deletion of every solution, then every insertion (§3.1.3)."""
    ctx = _where_context(overlay, op, options, prologue)
    solutions = list(evalPart(ctx, op.where))
    default: GraphName = ox.NamedNode(str(op.withClause)) if op.withClause else DEFAULT
    removals = [q for sol in solutions for q in _template_quads(op.delete, sol, default)]
    additions = [q for sol in solutions for q in _template_quads(op.insert, sol, default)]
    for q in removals:
        overlay.remove(q)
    for q in additions:
        overlay.add(q)


def _delete_where(overlay: Overlay, op: CompValue, options: UpdateOptions, prologue: Any) -> None:
    """DELETE WHERE { P } is DELETE { P } WHERE { P } (graph variables included)."""
    where = algebra.BGP(op.triples or [])
    for g, triples in (op.quads or {}).items():
        where = algebra.Join(where, algebra.Graph(g, algebra.BGP(triples)))
    clause = CompValue("DeleteClause", triples=op.triples or [], quads=op.quads or {})
    _modify(
        overlay,
        CompValue("Modify", delete=clause, insert=None, where=where, using=None, withClause=None),
        options,
        prologue,
    )


def _data(overlay: Overlay, op: CompValue, insert: bool) -> None:
    quads = [_quad(t, DEFAULT) for t in op.triples or []]
    for g, triples in (op.quads or {}).items():
        quads.extend(_quad(t, ox.NamedNode(str(g))) for t in triples)
    for q in quads:
        if q is None:
            raise InvalidUpdate("the data holds a triple that is not valid RDF")
        if insert:
            overlay.add(q)
        else:
            overlay.remove(q)


def _target(term: Any) -> GraphName:
    return DEFAULT if term == "DEFAULT" else ox.NamedNode(str(term))


def _graphs_of(overlay: Overlay, which: Any) -> list[GraphName]:
    """The graphs CLEAR/DROP act on: ALL and NAMED leave the protected graphs out."""
    if which in ("ALL", "NAMED"):
        named: list[GraphName] = [g for g in overlay.graph_names() if not is_protected(g)]
        return [DEFAULT, *named] if which == "ALL" else named
    return [_target(which)]


def _require(overlay: Overlay, graph: GraphName, op: CompValue) -> bool:
    """Whether ``graph`` exists; a missing graph fails the operation unless it is SILENT."""
    if overlay.exists(graph):
        return True
    if op.silent:
        return False
    assert isinstance(graph, ox.NamedNode)
    raise InvalidUpdate(
        f"{op.name.upper()}: the graph <{graph.value}> does not exist (it holds no triples); "
        f"add SILENT to ignore this"
    )


def _graph_management(overlay: Overlay, op: CompValue) -> None:
    name = op.name
    if name in ("Clear", "Drop"):
        for graph in _graphs_of(overlay, op.graphiri):
            if op.graphiri in ("ALL", "NAMED", "DEFAULT") or _require(overlay, graph, op):
                overlay.clear(graph)
    elif name == "Create":
        graph = ox.NamedNode(str(op.graphiri))
        if overlay.exists(graph) and not op.silent:
            raise InvalidUpdate(f"CREATE GRAPH: the graph <{graph.value}> already exists")
        # graphs exist while they hold quads: an empty graph is not recorded
    else:  # Add, Move, Copy
        source, target = (_target(t) for t in op.graph)
        if source == target or not _require(overlay, source, op):
            return
        quads = list(overlay.quads(g=source))
        if name in ("Move", "Copy"):
            overlay.clear(target)
        for q in quads:
            overlay.add(ox.Quad(q.subject, q.predicate, q.object, target))
        if name == "Move":
            overlay.clear(source)


def _run(overlay: Overlay, op: CompValue, options: UpdateOptions, prologue: Any) -> None:
    name = op.name
    if name == "Modify":
        _modify(overlay, op, options, prologue)
    elif name == "DeleteWhere":
        _delete_where(overlay, op, options, prologue)
    elif name in ("InsertData", "DeleteData"):
        _data(overlay, op, insert=name == "InsertData")
    else:
        _graph_management(overlay, op)


# -- parsing and the entry point ----------------------------------------------------------------------------


def _locate(text: str) -> str | None:
    """Oxigraph's precise syntax message (line:column), from parsing in a throw-away store.

    Only used once rdflib rejected the text; a text mentioning LOAD or SERVICE is
    never handed to Oxigraph, which would fetch it if it parsed.
    """
    if re.search(r"\b(LOAD|SERVICE)\b", text, re.IGNORECASE):
        return None
    try:
        ox.Store().update(text)
    except SyntaxError as exc:
        return str(exc)
    except Exception:
        return None
    return None


def parse_update(text: str, base_iri: str | None = None) -> Any:
    """Parse and translate a SPARQL Update (400 naming line and column when it does not parse)."""
    try:
        return algebra.translateUpdate(parser.parseUpdate(text), base=base_iri)
    except ParseException as exc:
        where = _locate(text) or f"line {exc.lineno}, column {exc.col}: {exc.msg}"
        raise InvalidUpdate(f"the update does not parse: {where}") from exc
    except Exception as exc:  # rdflib raises plain Exceptions for e.g. unknown prefixes
        raise InvalidUpdate(f"the update cannot be read: {exc}") from exc


def update_change(source: ox.Store, text: str, options: UpdateOptions | None = None) -> Change:
    """What the SPARQL Update ``text`` would change in ``source`` (the store is not modified)."""
    options = options or UpdateOptions()
    update = parse_update(text, options.base_iri)
    for op in update.algebra:
        _screen(op, options)
    overlay = Overlay(source)
    for op in update.algebra:
        try:
            _run(overlay, op, options, op.prologue)
        except IopgraphError:
            raise
        except Exception as exc:
            raise InvalidUpdate(f"the update failed: {exc}") from exc
    return overlay.change().normalised(source)
