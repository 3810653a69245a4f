"""SPARQL 1.1 Update turned into a :class:`Change`, without touching the store.

    change = update_change(store, "DELETE WHERE { <s> <p> ?o } ; INSERT DATA { ... }")

The update runs in rdflib's SPARQL engine over an :class:`OverlayStore`: reads go
to the Oxigraph store, writes are kept aside as quads to add and remove. The
result is validated by the write gate and only then applied, in one
transaction. Operations see each other's effects, as the standard requires.

Semantics (as GraphDB; documented in docs/add-an-initiative.md):

* the default graph is the union of all graphs, as at ``/sparql``: WHERE
  patterns outside ``GRAPH`` match every graph, and DELETE templates outside
  ``GRAPH`` (DELETE DATA, DELETE WHERE, DELETE {…} WHERE) remove the triple
  from every graph holding it;
* INSERT templates outside ``GRAPH`` add to the store's own default graph;
* CLEAR/DROP DEFAULT empty the store's own default graph, not the named graphs;
* refused (400 ``update-not-allowed``): LOAD, SERVICE, USING / USING NAMED,
  and ADD/MOVE/COPY involving DEFAULT (name the graphs instead).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pyoxigraph as ox
import rdflib
from pyparsing import ParseException
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID, Dataset, Graph
from rdflib.plugins.sparql import algebra, parser
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.update import evalUpdate
from rdflib.store import Store
from rdflib.term import BNode, Node, URIRef, Variable

from iopgraph.errors import InputError, UpdateNotAllowed
from iopgraph.rdfio import from_rdflib, to_rdflib
from iopgraph.stewardship.algebra import walk_algebra
from iopgraph.stewardship.changes import Change, GraphName, graph_exists

#: Stands for the store's own default graph (CLEAR/DROP DEFAULT), as opposed to the union.
STORAGE_DEFAULT = URIRef("urn:x-iopgraph:storage-default-graph")


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


class InvalidUpdate(InputError):
    code = "invalid-update"


class OverlayStore(Store):
    """An rdflib store reading an Oxigraph store and recording writes instead of making them."""

    context_aware = True
    graph_aware = True
    formula_aware = False
    transaction_aware = False

    def __init__(self, base: ox.Store) -> None:
        super().__init__()
        self.base = base
        self.added: set[ox.Quad] = set()
        self.removed: set[ox.Quad] = set()

    # -- mapping rdflib contexts to Oxigraph graphs ---------------------------------------------------

    @staticmethod
    def _ident(context: Any) -> Node | None:
        if context is None:
            return None
        return context.identifier if isinstance(context, Graph) else context

    def _graph(self, context: Any, writing: bool) -> GraphName | None:
        """None = the union of all graphs (reads and removals), else one graph."""
        ident = self._ident(context)
        if ident is None or ident == DATASET_DEFAULT_GRAPH_ID or isinstance(ident, BNode):
            return ox.DefaultGraph() if writing else None
        if ident == STORAGE_DEFAULT:
            return ox.DefaultGraph()
        return ox.NamedNode(str(ident))

    # -- the view: base - removed + added --------------------------------------------------------------

    def _quads(self, s: Node | None, p: Node | None, o: Node | None, g: GraphName | None) -> Iterator[ox.Quad]:
        if isinstance(s, rdflib.Literal) or (p is not None and not isinstance(p, URIRef)):
            return
        os_, op, oo = (None if t is None else from_rdflib(t) for t in (s, p, o))
        for q in self.base.quads_for_pattern(os_, op, oo, g):  # type: ignore[arg-type]
            if q not in self.removed:
                yield q
        for q in list(self.added):
            if ((os_ is None or q.subject == os_) and (op is None or q.predicate == op)
                    and (oo is None or q.object == oo) and (g is None or q.graph_name == g)):
                yield q

    def _context_for(self, q: ox.Quad) -> Graph:
        ident = DATASET_DEFAULT_GRAPH_ID if isinstance(q.graph_name, ox.DefaultGraph) else URIRef(q.graph_name.value)
        return Graph(store=self, identifier=ident)

    def triples(self, triple_pattern: Any, context: Any = None) -> Iterator[Any]:  # type: ignore[override]
        s, p, o = triple_pattern
        g = self._graph(context, writing=False)
        seen: dict[tuple[Node, Node, Node], list[Graph]] = {}
        for q in self._quads(s, p, o, g):
            key = (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
            seen.setdefault(key, []).append(self._context_for(q))
        for key, contexts in seen.items():
            yield key, iter(contexts)

    def __len__(self, context: Any = None) -> int:  # type: ignore[override]
        return sum(1 for _ in self.triples((None, None, None), context))

    def contexts(self, triple: Any = None) -> Iterator[Graph]:  # type: ignore[override]
        s, p, o = triple if triple is not None else (None, None, None)
        names = {q.graph_name for q in self._quads(s, p, o, None)}
        for name in sorted(names, key=str):
            if isinstance(name, ox.NamedNode):
                yield Graph(store=self, identifier=URIRef(name.value))

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:  # type: ignore[override]
        g = self._graph(context, writing=True)
        assert g is not None
        s, p, o = (from_rdflib(t) for t in triple)
        q = ox.Quad(s, p, o, g)  # type: ignore[arg-type]
        if q in self.removed:
            self.removed.discard(q)
        elif not any(True for _ in self.base.quads_for_pattern(q.subject, q.predicate, q.object, q.graph_name)):
            self.added.add(q)

    def remove(self, triple: Any, context: Any = None) -> None:  # type: ignore[override]
        ident = self._ident(context)
        g = ox.DefaultGraph() if ident == STORAGE_DEFAULT else self._graph(context, writing=False)
        for q in list(self._quads(*triple, g)):
            if q in self.added:
                self.added.discard(q)
            else:
                self.removed.add(q)

    def add_graph(self, graph: Graph) -> None:
        pass  # graphs exist while they hold quads

    def remove_graph(self, graph: Graph) -> None:
        self.remove((None, None, None), graph)

    def change(self) -> Change:
        return Change(sorted(self.removed, key=str), sorted(self.added, key=str), "SPARQL Update")



def _screen(op: CompValue, source: ox.Store) -> CompValue | None:
    """Refuse what the service does not run; returns the operation to evaluate (None = nothing to do)."""
    name = op.name
    if name == "Load":
        raise UpdateNotAllowed("LOAD is not allowed: the service fetches nothing from the network; "
                               "send the data with INSERT DATA or to /store")
    if any(part.name == "ServiceGraphPattern" for part in walk_algebra(op)):
        raise UpdateNotAllowed("SERVICE is not allowed in updates")
    if name == "Modify" and op.using:
        raise UpdateNotAllowed("USING / USING NAMED are not supported; use GRAPH <…> { } in the WHERE clause")
    if name in ("Add", "Move", "Copy") and "DEFAULT" in (op.graph[0], op.graph[1]):
        raise UpdateNotAllowed(f"{name.upper()} with DEFAULT is not supported; name both graphs")
    if name == "Create":
        iri = ox.NamedNode(str(op.graphiri))
        if graph_exists(source, iri) and not op.silent:
            raise InvalidUpdate(f"CREATE GRAPH: the graph <{iri.value}> already exists")
        return None
    if name == "DeleteWhere" and any(isinstance(g, Variable) for g in (op.quads or {})):
        raise UpdateNotAllowed("DELETE WHERE { GRAPH ?g { … } } is not supported: write "
                               "DELETE { GRAPH ?g { … } } WHERE { GRAPH ?g { … } }, or leave GRAPH out "
                               "(outside GRAPH a deletion applies to every graph)")
    if name in ("Clear", "Drop") and op.graphiri == "DEFAULT":
        op["graphiri"] = STORAGE_DEFAULT
    return op


class _UnionDataset(Dataset):
    """rdflib's Dataset, with ``+=``/``-=`` taking triples (rdflib's update engine sends triples)."""

    def __iadd__(self, other: Any) -> _UnionDataset:  # type: ignore[override]
        for triple in other:
            self.add(triple)
        return self

    def __isub__(self, other: Any) -> _UnionDataset:  # type: ignore[override]
        for triple in other:
            self.remove(triple)
        return self


def _locate(text: str) -> str | None:
    """Oxigraph's precise syntax message (line:column), from parsing in a throw-away store.

    Only used once rdflib rejected the text; a text mentioning LOAD is never
    handed to Oxigraph, which would fetch it if it parsed.
    """
    if re.search(r"\bLOAD\b", text, re.IGNORECASE):
        return None
    try:
        ox.Store().update(text)
    except SyntaxError as exc:
        return str(exc)
    except Exception:
        return None
    return None


def parse_update(text: str) -> Any:
    """Parse and translate a SPARQL Update (400 naming line and column when it does not parse)."""
    try:
        return algebra.translateUpdate(parser.parseUpdate(text))
    except ParseException as exc:
        where = _locate(text) or f"line {exc.lineno}, column {exc.col}: {exc.msg}"
        raise InvalidUpdate(f"the update does not parse: {where}") from exc
    except Exception as exc:  # rdflib raises plain Exceptions for e.g. unknown prefixes
        raise InvalidUpdate(f"the update cannot be read: {exc}") from exc


def update_change(source: ox.Store, text: str, options: UpdateOptions | None = None) -> Change:
    """What the SPARQL Update ``text`` would change in ``source`` (the store is not modified)."""
    update = parse_update(text)
    update.algebra = [op for op in (_screen(op, source) for op in update.algebra) if op is not None]
    overlay = OverlayStore(source)
    dataset = _UnionDataset(store=overlay, default_union=True)
    try:
        evalUpdate(dataset, update)
    except (InvalidUpdate, UpdateNotAllowed):
        raise
    except Exception as exc:
        raise InvalidUpdate(f"the update failed: {exc}") from exc
    return overlay.change().normalised(source)
