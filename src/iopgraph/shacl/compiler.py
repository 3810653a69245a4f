"""Each constraint component as SPARQL over the store's union graph.

A *focus pattern* is a function from a variable name to a SPARQL group that binds that variable to
the focus nodes (a shape's targets, or the value nodes of an enclosing shape). A *value pattern*
binds ``?v`` to the value nodes of ``?this``: the node itself for a node shape, the path's objects
for a property shape. Every query returns the rows that violate the constraint: ``?this`` and, for
components that report a value, ``?v``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import rdflib
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

FocusPattern = Callable[[str], str]

TYPE_OR_SUBCLASS = f"<{RDF.type}>/<{RDFS.subClassOf}>*"
#: Datatypes whose lexical forms SPARQL can check with a cast (an ill-formed literal fails it).
CASTABLE = {
    XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.dateTime, XSD.date, XSD.time,
    XSD.gYear, XSD.gYearMonth, XSD.duration,
}  # fmt: skip
NODE_KINDS: dict[Node, str] = {
    SH.IRI: "isIRI(?v)",
    SH.BlankNode: "isBlank(?v)",
    SH.Literal: "isLiteral(?v)",
    SH.BlankNodeOrIRI: "(isBlank(?v) || isIRI(?v))",
    SH.BlankNodeOrLiteral: "(isBlank(?v) || isLiteral(?v))",
    SH.IRIOrLiteral: "(isIRI(?v) || isLiteral(?v))",
}


def term(node: Node) -> str:
    """A term written for a query (IRIs and literals; a blank node cannot be named in SPARQL)."""
    if isinstance(node, rdflib.BNode):
        raise ValueError("a blank node cannot be a constraint parameter the compiler writes")
    return node.n3()


def target_pattern(targets: Iterable[tuple[str, Node]]) -> FocusPattern | None:
    """The focus pattern of a shape's targets (None: the shape has no targets)."""
    parts = list(targets)
    if not parts:
        return None

    def pattern(var: str) -> str:
        groups = []
        for kind, value in parts:
            if kind == "targetClass":
                groups.append(f"{{ ?{var} {TYPE_OR_SUBCLASS} {term(value)} }}")
            elif kind == "targetNode":
                groups.append(f"{{ VALUES ?{var} {{ {term(value)} }} }}")
            elif kind == "targetSubjectsOf":
                groups.append(f"{{ ?{var} {term(value)} [] }}")
            elif kind == "targetObjectsOf":
                groups.append(f"{{ [] {term(value)} ?{var} }}")
        return "{ SELECT DISTINCT ?" + var + " WHERE { " + " UNION ".join(groups) + " } }"

    return pattern


def values_of(focus: FocusPattern, path: str | None, fresh: Callable[[], str]) -> FocusPattern:
    """The focus pattern of the value nodes of ``focus`` along ``path`` (None: the nodes themselves)."""
    if path is None:
        return focus

    def pattern(var: str) -> str:
        outer = fresh()
        return f"{{ SELECT DISTINCT ?{var} WHERE {{ {focus(outer)} ?{outer} {path} ?{var} . }} }}"

    return pattern


def value_pattern(path: str | None) -> str:
    return "BIND(?this AS ?v)" if path is None else f"?this {path} ?v ."


def select_values(focus: FocusPattern, path: str | None, condition: str) -> str:
    """Rows (?this ?v) whose value node fails ``condition`` (a SPARQL expression over ?v)."""
    return (
        f"SELECT DISTINCT ?this ?v WHERE {{ {focus('this')} {value_pattern(path)} "
        f"FILTER(!COALESCE({condition}, false)) }}"
    )


def value_condition(component: str, params: dict[str, object]) -> str | None:
    """The condition each value node must meet, for components checked value by value."""
    p = params
    if component == "ClassConstraintComponent":
        return f"EXISTS {{ ?v {TYPE_OR_SUBCLASS} {term(as_node(p['class']))} }}"
    if component == "DatatypeConstraintComponent":
        datatype = as_node(p["datatype"])
        check = f"isLiteral(?v) && datatype(?v) = {term(datatype)}"
        if datatype in CASTABLE:
            check += f" && sameTerm({term(datatype)}(STR(?v)), {term(datatype)}(STR(?v)))"
        if datatype == RDF.langString:
            check = "isLiteral(?v) && lang(?v) != ''"
        return check
    if component == "NodeKindConstraintComponent":
        return NODE_KINDS[as_node(p["nodeKind"])]
    bounds = {
        "MinInclusiveConstraintComponent": ("minInclusive", ">="),
        "MaxInclusiveConstraintComponent": ("maxInclusive", "<="),
        "MinExclusiveConstraintComponent": ("minExclusive", ">"),
        "MaxExclusiveConstraintComponent": ("maxExclusive", "<"),
    }
    if component in bounds:
        name, op = bounds[component]
        return f"(?v {op} {term(as_node(p[name]))})"
    if component == "MinLengthConstraintComponent":
        return f"(!isBlank(?v) && STRLEN(STR(?v)) >= {int(str(p['minLength']))})"
    if component == "MaxLengthConstraintComponent":
        return f"(!isBlank(?v) && STRLEN(STR(?v)) <= {int(str(p['maxLength']))})"
    if component == "PatternConstraintComponent":
        flags = f", {rdflib.Literal(str(p['flags'])).n3()}" if "flags" in p else ""
        return f"(!isBlank(?v) && REGEX(STR(?v), {rdflib.Literal(str(p['pattern'])).n3()}{flags}))"
    if component == "LanguageInConstraintComponent":
        tags = [str(t) for t in as_nodes(p["languageIn"])]
        matches = " || ".join(f"langMatches(lang(?v), {rdflib.Literal(t).n3()})" for t in tags) or "false"
        return f"(isLiteral(?v) && ({matches}))"
    if component == "InConstraintComponent":
        members = " || ".join(f"sameTerm(?v, {term(m)})" for m in as_nodes(p["in"])) or "false"
        return f"({members})"
    return None


def count_query(focus: FocusPattern, path: str, having: str) -> str:
    """Focus nodes whose number of distinct values fails ``having`` (e.g. ``?n >= 1``)."""
    return (
        f"SELECT ?this (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {focus('this')} OPTIONAL {{ ?this {path} ?v . }} }} "
        f"GROUP BY ?this HAVING (!({having.replace('?n', 'COUNT(DISTINCT ?v)')}))"
    )


def has_value_query(focus: FocusPattern, path: str | None, value: Node) -> str:
    if path is None:
        return f"SELECT DISTINCT ?this WHERE {{ {focus('this')} FILTER(!sameTerm(?this, {term(value)})) }}"
    return f"SELECT DISTINCT ?this WHERE {{ {focus('this')} FILTER NOT EXISTS {{ ?this {path} {term(value)} . }} }}"


def disjoint_query(focus: FocusPattern, path: str | None, other: Node) -> str:
    return (
        f"SELECT DISTINCT ?this ?v WHERE {{ {focus('this')} {value_pattern(path)} ?this {term(other)} ?v . }}"
    )


def equals_queries(focus: FocusPattern, path: str | None, other: Node) -> list[str]:
    """Values on the path missing from ``other``, and values of ``other`` missing from the path."""
    return [
        f"SELECT DISTINCT ?this ?v WHERE {{ {focus('this')} {value_pattern(path)} "
        f"FILTER NOT EXISTS {{ ?this {term(other)} ?v . }} }}",
        f"SELECT DISTINCT ?this ?v WHERE {{ {focus('this')} ?this {term(other)} ?v . "
        + (
            "FILTER(!sameTerm(?v, ?this)) }"
            if path is None
            else f"FILTER NOT EXISTS {{ ?this {path} ?v . }} }}"
        ),
    ]


def unique_lang_query(focus: FocusPattern, path: str) -> str:
    return (
        f"SELECT DISTINCT ?this ?lang WHERE {{ {focus('this')} ?this {path} ?a . ?this {path} ?b . "
        "FILTER(isLiteral(?a) && isLiteral(?b) && !sameTerm(?a, ?b) && lang(?a) != '' "
        "&& LCASE(lang(?a)) = LCASE(lang(?b))) BIND(LCASE(lang(?a)) AS ?lang) }"
    )


def closed_query(focus: FocusPattern, allowed: list[Node]) -> str:
    keep = ", ".join(term(p) for p in allowed)
    condition = f"FILTER(?p NOT IN ({keep}))" if keep else ""
    return f"SELECT DISTINCT ?this ?p ?v WHERE {{ {focus('this')} ?this ?p ?v . {condition} }}"


def pairs_query(focus: FocusPattern, path: str | None) -> str:
    """Every (?this ?v) pair: focus nodes with their value nodes (?v unbound when there is none)."""
    inner = "BIND(?this AS ?v)" if path is None else f"OPTIONAL {{ ?this {path} ?v . }}"
    return f"SELECT DISTINCT ?this ?v WHERE {{ {focus('this')} {inner} }}"


def as_node(value: object) -> Node:
    """A parameter that is one term."""
    assert isinstance(value, rdflib.term.Identifier)
    return value


def as_nodes(value: object) -> list[Node]:
    """A parameter that is a list of terms."""
    assert isinstance(value, list)
    return value
