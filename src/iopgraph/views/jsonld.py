"""JSON-LD output: the versioned context, and compaction of a set of triples into plain JSON trees.

The context (``context/v1.jsonld`` in this package, served at ``/context/v1.jsonld``)
is the one place that decides the JSON keys: this module reads its term
definitions and writes every JSON-LD document with them, so a harvester that
expands a response with the published context gets back exactly the triples
the response was built from (tests/unit/test_jsonld.py checks that
with PyLD).

    ctx = load_context()
    doc = frame(triples, roots=[iri], ctx=ctx)          # a list of node objects
    {"@context": context_url, **doc.nodes[0]}

Shapes of values are predictable: IRIs are always node objects
(``{"@id": ..., "label": ...}``), ``@type`` is always a list, properties whose
term says ``@container: @set`` are always arrays; language-tagged strings in
the term's language and literals of the term's datatype are bare strings;
integers and booleans are JSON numbers and booleans; anything else is a value
object. Incoming links use the context's reverse terms (``addressedBy``,
``narrower``, ...) or ``@reverse`` with a compact IRI.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, cast

import pyoxigraph as ox

from iopgraph.core.namespaces import RDF_TYPE_IRI, XSD
from iopgraph.core.terms import subject_of

CONTEXT_VERSION = "v1"
CONTEXT_PATH = f"/context/{CONTEXT_VERSION}.jsonld"

_NATIVE_INT = XSD + "integer"
_NATIVE_BOOL = XSD + "boolean"
_STRING = XSD + "string"

Subject = ox.NamedNode | ox.BlankNode
JsonObject = dict[str, Any]


@dataclass(frozen=True)
class TermDefinition:
    """One term of the context, with its IRI expanded."""

    name: str
    iri: str
    type: str | None = None  # "@id" or a datatype IRI
    language: str | None = None
    is_set: bool = False
    reverse: bool = False


@dataclass
class Context:
    """The parsed context: prefixes, forward terms and reverse terms, by IRI."""

    document: JsonObject
    prefixes: dict[str, str] = field(default_factory=dict)
    forward: dict[str, TermDefinition] = field(default_factory=dict)
    reverse: dict[str, TermDefinition] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)

    def expand(self, value: str) -> str:
        prefix, sep, local = value.partition(":")
        if sep and prefix in self.prefixes and not local.startswith("//"):
            return self.prefixes[prefix] + local
        return value

    def compact_iri(self, iri: str) -> str:
        """``prefix:local`` for the longest matching prefix, or the IRI itself."""
        best = ""
        for prefix, ns in self.prefixes.items():
            if iri.startswith(ns) and len(ns) > len(self.prefixes.get(best, "")):
                local = iri[len(ns) :]
                if local and not local.startswith("//") and "#" not in local:
                    best = prefix
        return f"{best}:{iri[len(self.prefixes[best]) :]}" if best else iri

    def compact_type(self, iri: str) -> str:
        return self.classes.get(iri) or self.compact_iri(iri)


def parse_context(document: JsonObject) -> Context:
    body: dict[str, Any] = document["@context"]
    ctx = Context(document)
    for name, value in body.items():
        if isinstance(value, str) and not name.startswith("@") and value.endswith(("#", "/")):
            ctx.prefixes[name] = value
    for name, value in body.items():
        if name.startswith("@") or name in ctx.prefixes:
            continue
        if isinstance(value, str):
            ctx.classes[ctx.expand(value)] = name
            ctx.forward.setdefault(ctx.expand(value), TermDefinition(name, ctx.expand(value)))
            continue
        is_reverse = "@reverse" in value
        iri = ctx.expand(value["@reverse"] if is_reverse else value["@id"])
        kind = value.get("@type")
        term = TermDefinition(
            name=name,
            iri=iri,
            type=kind if kind in (None, "@id") else ctx.expand(kind),
            language=value.get("@language"),
            is_set=value.get("@container") == "@set",
            reverse=is_reverse,
        )
        (ctx.reverse if is_reverse else ctx.forward).setdefault(iri, term)
    return ctx


@cache
def context_text() -> str:
    """The context document exactly as published."""
    return resources.files("iopgraph").joinpath("context", f"{CONTEXT_VERSION}.jsonld").read_text("utf-8")


@cache
def load_context() -> Context:
    return parse_context(json.loads(context_text()))


# --- values -------------------------------------------------------------------------------------


def _literal(lit: ox.Literal, term: TermDefinition | None, ctx: Context) -> Any:
    datatype = lit.datatype.value
    coerced = term.type if term else None
    if lit.language:
        if term and coerced is None and term.language == lit.language:
            return lit.value
        return {"@value": lit.value, "@language": lit.language}
    if datatype == _STRING:
        if coerced is None and (term is None or term.language is None):
            return lit.value
        return {"@value": lit.value}
    if coerced == datatype:
        if datatype == _NATIVE_BOOL and lit.value in ("true", "false"):
            return lit.value == "true"
        if datatype == _NATIVE_INT and _canonical_int(lit.value):
            return int(lit.value)
        return lit.value
    if coerced is None and datatype == _NATIVE_INT and _canonical_int(lit.value):
        return int(lit.value)
    if coerced is None and datatype == _NATIVE_BOOL and lit.value in ("true", "false"):
        return lit.value == "true"
    return {"@value": lit.value, "@type": ctx.compact_iri(datatype)}


def _canonical_int(text: str) -> bool:
    try:
        return str(int(text)) == text
    except ValueError:
        return False


def _node_id(term: Subject) -> str:
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


# --- framing ------------------------------------------------------------------------------------


@dataclass
class Framed:
    """The JSON trees of a set of triples: the root nodes, then whatever the roots did not reach."""

    nodes: list[JsonObject]
    included: list[JsonObject]


class _Framer:
    def __init__(
        self,
        triples: list[ox.Triple],
        ctx: Context,
        roots: Sequence[Subject],
        reverse_predicates: frozenset[str],
        max_depth: int,
    ) -> None:
        self.ctx = ctx
        self.roots = set(roots)
        self.reverse_predicates = reverse_predicates
        self.max_depth = max_depth
        self.out: dict[Subject, list[ox.Triple]] = defaultdict(list)
        self.incoming: dict[Subject, list[ox.Triple]] = defaultdict(list)
        for t in dict.fromkeys(triples):  # stable de-duplication
            self.out[subject_of(t)].append(t)
            if t.predicate.value in reverse_predicates and not isinstance(t.object, ox.Literal):
                self.incoming[cast(Subject, t.object)].append(t)  # not a literal: a Subject (core/terms.py)
        self.covered: set[ox.Triple] = set()

    def node(
        self, subject: Subject, depth: int, path: frozenset[Subject], skip: ox.Triple | None = None
    ) -> JsonObject:
        node: JsonObject = {"@id": _node_id(subject)}
        by_predicate: dict[str, list[Any]] = defaultdict(list)
        types: list[str] = []
        for t in self.out.get(subject, ()):
            if t == skip:
                self.covered.add(t)
                continue
            if depth and t.object in self.roots and t.predicate.value in self.reverse_predicates:
                continue  # an incoming link of a root: shown under that root's reverse properties
            if t.predicate.value == RDF_TYPE_IRI and isinstance(t.object, ox.NamedNode):
                types.append(self.ctx.compact_type(t.object.value))
                self.covered.add(t)
                continue
            term = self.ctx.forward.get(t.predicate.value)
            by_predicate[t.predicate.value].append(self._value(t, term, depth, path))
            self.covered.add(t)
        if types:
            node["@type"] = sorted(types)
        for predicate, values in sorted(by_predicate.items(), key=lambda kv: self._key(kv[0])):
            term = self.ctx.forward.get(predicate)
            node[self._key(predicate)] = values if (term and term.is_set) or len(values) > 1 else values[0]
        if depth < self.max_depth:
            self._reverse(node, subject, depth, path)
        return node

    def _key(self, predicate: str) -> str:
        term = self.ctx.forward.get(predicate)
        return term.name if term else self.ctx.compact_iri(predicate)

    def _value(self, t: ox.Triple, term: TermDefinition | None, depth: int, path: frozenset[Subject]) -> Any:
        obj = t.object
        if isinstance(obj, ox.Literal):
            return _literal(obj, term, self.ctx)
        assert isinstance(obj, (ox.NamedNode, ox.BlankNode))
        if obj in self.roots or obj in path or depth >= self.max_depth or obj not in self.out:
            return {"@id": _node_id(obj)}
        return self.node(obj, depth + 1, path | {obj})

    def _reverse(self, node: JsonObject, subject: Subject, depth: int, path: frozenset[Subject]) -> None:
        grouped: dict[str, list[JsonObject]] = defaultdict(list)
        for t in self.incoming.get(subject, ()):
            source = subject_of(t)
            if source in path:
                continue
            self.covered.add(t)
            if source in self.roots:
                grouped[t.predicate.value].append({"@id": _node_id(source)})
            else:
                grouped[t.predicate.value].append(self.node(source, depth + 1, path | {source}, skip=t))
        reverse_block: JsonObject = {}
        for predicate, nodes in sorted(grouped.items()):
            term = self.ctx.reverse.get(predicate)
            if term:
                node[term.name] = nodes if term.is_set or len(nodes) > 1 else nodes[0]
            else:
                reverse_block[self.ctx.compact_iri(predicate)] = nodes
        if reverse_block:
            node["@reverse"] = reverse_block

    def leftovers(self) -> list[JsonObject]:
        rest: dict[Subject, list[ox.Triple]] = defaultdict(list)
        for subject, triples in self.out.items():
            for t in triples:
                if t not in self.covered:
                    rest[subject].append(t)
        nodes = []
        for subject in sorted(rest, key=_node_id):
            saved = self.out[subject]
            self.out[subject] = rest[subject]
            nodes.append(self.node(subject, self.max_depth, frozenset({subject})))
            self.out[subject] = saved
        return nodes


def frame(
    triples: list[ox.Triple],
    roots: Sequence[Subject],
    ctx: Context | None = None,
    reverse_predicates: frozenset[str] | None = None,
    max_depth: int = 3,
) -> Framed:
    """Nest ``triples`` into one JSON tree per root.

    Objects that have triples of their own are embedded (up to ``max_depth``),
    other roots are referenced by ``@id``; triples ``(x p root)`` with ``p`` in
    ``reverse_predicates`` are embedded under the root as incoming links.
    Triples no root reaches come back in ``included`` so nothing is lost.
    """
    ctx = ctx or load_context()
    framer = _Framer(triples, ctx, roots, reverse_predicates or frozenset(), max_depth)
    nodes = [framer.node(r, 0, frozenset({r})) for r in roots]
    return Framed(nodes, framer.leftovers())


def document(context_url: str, framed: Framed, top: JsonObject | None = None) -> JsonObject:
    """A JSON-LD document: ``top`` (e.g. a Hydra collection) or the single root node, plus ``@included``."""
    doc: JsonObject = {"@context": context_url}
    if top is not None:
        doc.update(top)
    elif len(framed.nodes) == 1:
        doc.update(framed.nodes[0])
    else:
        doc["@graph"] = framed.nodes
    if framed.included:
        doc["@included"] = framed.included
    return doc
