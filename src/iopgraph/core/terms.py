"""The RDF terms the pages, documents, search records and workbench forms read: RDF 1.1 terms.

pyoxigraph types a subject as ``NamedNode | BlankNode | Triple`` and an object as
``NamedNode | BlankNode | Literal | Triple`` (the ``Triple`` is an RDF 1.2 triple term). The code
above the store reads IRIs, blank nodes and literals only: :func:`subject_of` and :func:`object_of`
say so to the type checker. They check nothing at run time, so behaviour is unchanged: a triple term
that reached a view would fail there as before. The sources hold none, and a write of one stops at
its SHACL check, where :func:`iopgraph.core.rdfio.to_rdflib` refuses triple terms.
"""

from __future__ import annotations

from typing import cast

import pyoxigraph as ox

#: A subject (or a non-literal object) of the graph.
Subject = ox.NamedNode | ox.BlankNode
#: An object of the graph.
Term = ox.NamedNode | ox.BlankNode | ox.Literal


def subject_of(statement: ox.Triple | ox.Quad) -> Subject:
    """The subject of ``statement``, typed as an RDF 1.1 subject (see the module docstring)."""
    return cast(Subject, statement.subject)


def object_of(statement: ox.Triple | ox.Quad) -> Term:
    """The object of ``statement``, typed as an RDF 1.1 term (see the module docstring)."""
    return cast(Term, statement.object)
