"""Walking rdflib's SPARQL algebra trees (shared by the update screen and the shapes' SPARQL constraints)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rdflib.plugins.sparql.parserutils import CompValue


def walk_algebra(node: Any) -> Iterator[CompValue]:
    """Every algebra node below ``node`` (itself included), depth first."""
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from walk_algebra(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from walk_algebra(item)
