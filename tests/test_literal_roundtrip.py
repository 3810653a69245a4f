"""Every literal of the shipped sources comes back from the store byte-identical (issue 11, item 11).

Oxigraph stores typed literals of the XSD datatypes it knows by value and writes
them back in its canonical lexical form: ``"80.0"^^xsd:decimal`` comes back as
``"80"``, ``"007"^^xsd:integer`` as ``"7"``, ``"-3"^^xsd:negativeInteger`` as
``"-3"^^xsd:integer``. The sources are therefore authored in the canonical forms
(docs/authoring.md), and this test parses every source file with the same Turtle
parser the store uses (which keeps lexical forms), loads them the way
``iopgraph build`` does, and compares each literal term by term.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from iopgraph.core.sources import SourceFile, graph_sources
from iopgraph.store.local import load_sources
from support.paths import ROOT

SOURCES = graph_sources(ROOT)


def _literal_key(quad: ox.Quad) -> tuple[str, str, str, str, str] | None:
    o = quad.object
    if not isinstance(o, ox.Literal):
        return None
    subject = quad.subject.value if isinstance(quad.subject, ox.NamedNode) else "_:"
    return (subject, quad.predicate.value, o.value, o.datatype.value, o.language or "")


def _source_literals(source: SourceFile) -> Counter[tuple[str, str, str, str, str]]:
    quads = ox.parse(path=str(source.path), format=ox.RdfFormat.TURTLE, base_iri=source.path.as_uri())
    return Counter(k for q in quads if (k := _literal_key(q)) is not None)


@pytest.fixture(scope="module")
def loaded_store() -> ox.Store:
    store = ox.Store()
    load_sources(store, SOURCES)
    return store


def test_there_are_sources_with_typed_literals() -> None:
    datatypes = {k[3] for s in SOURCES for k in _source_literals(s)}
    # The check below is only meaningful if the sources use the datatypes Oxigraph rewrites.
    assert "http://www.w3.org/2001/XMLSchema#decimal" in datatypes
    assert "http://www.w3.org/2001/XMLSchema#integer" in datatypes
    assert "http://www.w3.org/2001/XMLSchema#gYear" in datatypes


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.relative)
def test_every_literal_of_the_source_comes_back_unchanged(source: SourceFile, loaded_store: ox.Store) -> None:
    expected = _source_literals(source)
    graph = ox.NamedNode(source.graph_iri)
    stored = Counter(
        k
        for q in loaded_store.quads_for_pattern(None, None, None, graph)
        if (k := _literal_key(q)) is not None
    )
    changed = expected - stored
    assert not changed, (
        f"{len(changed)} literal(s) of {source.relative} change in the store; author the canonical form "
        "(see docs/authoring.md):\n" + "\n".join(f"  {k[1]} {k[2]!r}^^<{k[3]}>" for k in list(changed)[:15])
    )
    assert sum(stored.values()) == sum(expected.values())


def test_the_engine_still_canonicalises_the_forms_the_docs_describe() -> None:
    """The reason for the rule: if Oxigraph stops rewriting, docs/authoring.md must change too."""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    store = ox.Store()
    s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    for lexical, datatype in (("80.0", "decimal"), ("007", "integer"), ("-3", "negativeInteger")):
        store.add(ox.Quad(s, p, ox.Literal(lexical, datatype=ox.NamedNode(xsd + datatype))))
    back = {(q.object.value, q.object.datatype.value.removeprefix(xsd)) for q in store}
    assert back == {("80", "decimal"), ("7", "integer"), ("-3", "integer")}


def test_documentation_describes_the_engine_behaviour() -> None:
    text = Path(ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    assert "canonical" in text and '"64"^^xsd:decimal' in text
