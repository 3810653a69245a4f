"""Full SHACL validation at scale: the shapes' constraints compiled to SPARQL and run on the store.

    report = validate_store(store, shapes)          # a ValidationReport, as validation.py gives

The shapes graph is read into :mod:`iopgraph.shacl.model` (shapes, targets, paths, constraints);
:mod:`iopgraph.shacl.compiler` writes each constraint as one SPARQL query over the store's union
graph; :mod:`iopgraph.shacl.engine` runs them, combines nested shapes (``sh:node``, ``sh:or``,
``sh:not``, qualified shapes) and hands shapes it cannot compile to pySHACL. The verdicts equal
pySHACL's (``tests/test_shacl_compiled.py`` compares them result by result).
"""

from iopgraph.shacl.engine import validate_store

__all__ = ["validate_store"]
