"""Binding parameter values into a query as RDF terms, in a ``VALUES`` block.

Oxigraph's substitution API only binds variables of the SELECT projection, and
remote stores have none, so values are bound the portable way: a one-row
``VALUES`` block opening the WHERE clause. Every term is re-serialised by
pyoxigraph in canonical N-Triples form, so a value is always exactly one RDF
term and can never change the shape of the query::

    >>> bind_values('SELECT ?s WHERE { ?s ?p ?_label }', {"_label": '"> } ; DROP ALL #"'})
    'SELECT ?s WHERE { VALUES (?_label) { ("> } ; DROP ALL #") }  ?s ?p ?_label }'

(``"> } ; DROP ALL #`` stays a string literal.) Bind parameters where the outer
query uses them: a sub-SELECT that does not project a variable does not see it.
"""

from __future__ import annotations

import pyoxigraph as ox

from iopgraph.query.errors import QuerySyntaxError
from iopgraph.query.lexer import analyse, find_where_brace


def parse_term(text: str) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
    """One RDF term from its N-Triples form (raises ValueError/SyntaxError if it is not exactly one term)."""
    quads: list[ox.Quad] = list(ox.parse(f"<urn:s> <urn:p> {text} .".encode(), ox.RdfFormat.N_TRIPLES))
    if len(quads) != 1:
        raise ValueError(f"not a single RDF term: {text!r}")
    return quads[0].object


def values_block(substitutions: dict[str, str]) -> str:
    names = sorted(substitutions)
    terms = [str(parse_term(substitutions[n])) for n in names]  # canonical form, re-checked
    return "VALUES (" + " ".join("?" + n for n in names) + ") { (" + " ".join(terms) + ") }"


def bind_values(query: str, substitutions: dict[str, str]) -> str:
    """``query`` with ``substitutions`` (variable → N-Triples term) bound in a leading VALUES block."""
    if not substitutions:
        return query
    block = values_block(substitutions)
    brace = find_where_brace(query)
    if brace is not None:
        return query[: brace + 1] + " " + block + " " + query[brace + 1 :]
    if analyse(query).form == "DESCRIBE":
        # DESCRIBE ?x with no WHERE clause: give it one that binds ?x.
        return f"{query.rstrip()}\nWHERE {{ {block} }}\n"
    raise QuerySyntaxError("cannot bind parameters: the query has no WHERE clause")
