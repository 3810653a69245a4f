"""iopgraph: a linked-data knowledge graph of organisational and cultural interoperability
in European data spaces and local digital twins."""

from __future__ import annotations

__version__ = "0.1.0"
