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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from json.encoder import encode_basestring
from typing import Any

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


#: One triple of a framing: its position (what "covered" counts), the triple, its predicate IRI and object.
_Edge = tuple[int, ox.Triple, str, "ox.NamedNode | ox.BlankNode | ox.Literal"]


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
        self.out: dict[Subject, list[_Edge]] = defaultdict(list)
        self.incoming: dict[Subject, list[_Edge]] = defaultdict(list)
        # Each triple's predicate IRI is read once (pyoxigraph makes a new string on every access).
        out, incoming = self.out, self.incoming
        for index, t in enumerate(dict.fromkeys(triples)):  # stable de-duplication
            predicate, obj = t.predicate.value, t.object
            edge: _Edge = (index, t, predicate, obj)  # type: ignore[assignment]
            out[t.subject].append(edge)  # type: ignore[index]  # an RDF 1.1 subject (core/terms.py)
            if predicate in reverse_predicates and not isinstance(obj, ox.Literal):
                incoming[obj].append(edge)  # type: ignore[index]  # not a literal: a Subject
        self.covered: set[int] = set()
        self._keys: dict[str, str] = {}
        self._leaf: dict[Subject, bool] = {}
        #: the node of each leaf subject, made once (a page links the same sections and labels many times)
        self._leaves: dict[Subject, JsonObject] | None = {}

    def is_leaf(self, subject: Subject) -> bool:
        """Its node is the same at every depth and on every path: no incoming link to embed, no object
        that is embedded, a root or hidden under a root (only literals and IRIs with no triples here)."""
        found = self._leaf.get(subject)
        if found is None:
            found = not self.incoming.get(subject) and not any(
                not isinstance(obj, ox.Literal) and (obj in self.out or obj in self.roots)
                for _, _, _, obj in self.out.get(subject, ())
            )
            self._leaf[subject] = found
        return found

    def node(
        self, subject: Subject, depth: int, path: frozenset[Subject], skip: int | None = None
    ) -> JsonObject:
        leaves = self._leaves if skip is None and self.is_leaf(subject) else None
        if leaves is not None and subject in leaves:
            return dict(leaves[subject])  # its triples were covered when it was made
        node = self._node(subject, depth, path, skip)
        if leaves is not None:
            leaves[subject] = node
            return dict(node)
        return node

    def _node(self, subject: Subject, depth: int, path: frozenset[Subject], skip: int | None) -> JsonObject:
        node: JsonObject = {"@id": _node_id(subject)}
        by_predicate: dict[str, list[Any]] = defaultdict(list)
        types: list[str] = []
        covered = self.covered
        forward = self.ctx.forward
        for index, _, predicate, obj in self.out.get(subject, ()):
            if index == skip:
                covered.add(index)
                continue
            if depth and predicate in self.reverse_predicates and obj in self.roots:
                continue  # an incoming link of a root: shown under that root's reverse properties
            if predicate == RDF_TYPE_IRI and isinstance(obj, ox.NamedNode):
                types.append(self.ctx.compact_type(obj.value))
                covered.add(index)
                continue
            by_predicate[predicate].append(self._value(obj, forward.get(predicate), depth, path))
            covered.add(index)
        if types:
            node["@type"] = sorted(types)
        for predicate, values in sorted(by_predicate.items(), key=lambda kv: self._key(kv[0])):
            term = forward.get(predicate)
            node[self._key(predicate)] = values if (term and term.is_set) or len(values) > 1 else values[0]
        if depth < self.max_depth:
            self._reverse(node, subject, depth, path)
        return node

    def _key(self, predicate: str) -> str:
        key = self._keys.get(predicate)
        if key is None:
            term = self.ctx.forward.get(predicate)
            key = self._keys[predicate] = term.name if term else self.ctx.compact_iri(predicate)
        return key

    def _value(
        self,
        obj: ox.NamedNode | ox.BlankNode | ox.Literal,
        term: TermDefinition | None,
        depth: int,
        path: frozenset[Subject],
    ) -> Any:
        if isinstance(obj, ox.Literal):
            return _literal(obj, term, self.ctx)
        assert isinstance(obj, (ox.NamedNode, ox.BlankNode))
        if obj in self.roots or obj in path or depth >= self.max_depth or obj not in self.out:
            return {"@id": _node_id(obj)}
        return self.node(obj, depth + 1, path | {obj})

    def _reverse(self, node: JsonObject, subject: Subject, depth: int, path: frozenset[Subject]) -> None:
        grouped: dict[str, list[JsonObject]] = defaultdict(list)
        for index, t, predicate, _ in self.incoming.get(subject, ()):
            source = subject_of(t)
            if source in path:
                continue
            self.covered.add(index)
            if source in self.roots:
                grouped[predicate].append({"@id": _node_id(source)})
            else:
                grouped[predicate].append(self.node(source, depth + 1, path | {source}, skip=index))
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
        rest: dict[Subject, list[_Edge]] = defaultdict(list)
        for subject, edges in self.out.items():
            for edge in edges:
                if edge[0] not in self.covered:
                    rest[subject].append(edge)
        nodes = []
        self._leaves = None  # a leftover node holds only the triples not covered yet: never the memo's
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


# --- bytes --------------------------------------------------------------------------------------


def dumps(doc: JsonObject) -> bytes:
    """``json.dumps(doc, ensure_ascii=False, indent=1).encode()``, byte for byte, in half the time.

    (The standard library writes an indented document with its pure-Python encoder; this one
    appends the parts of the documents the views make: dicts, lists, strings, numbers, booleans.)
    """
    parts: list[str] = []
    _write(doc, "\n", parts.append)
    return "".join(parts).encode()


def _write(value: Any, indent: str, out: Callable[[str], None]) -> None:
    if isinstance(value, str):
        out(encode_basestring(value))
    elif isinstance(value, dict):
        if not value:
            out("{}")
            return
        inner = indent + " "
        separator = "{" + inner
        for key, item in value.items():
            out(separator)
            out(_key_text(key))
            out(": ")
            if isinstance(item, str):
                out(encode_basestring(item))
            else:
                _write(item, inner, out)
            separator = "," + inner
        out(indent + "}")
    elif isinstance(value, list):
        if not value:
            out("[]")
            return
        inner = indent + " "
        separator = "[" + inner
        for item in value:
            out(separator)
            if isinstance(item, str):
                out(encode_basestring(item))
            else:
                _write(item, inner, out)
            separator = "," + inner
        out(indent + "]")
    else:
        out(json.dumps(value))  # numbers, booleans, null: as the standard encoder writes them


def _key_text(key: Any) -> str:
    """A key as JSON writes it: strings as they are, numbers, booleans and null as their JSON text."""
    return encode_basestring(key if isinstance(key, str) else json.dumps(key))
