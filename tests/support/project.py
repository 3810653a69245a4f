"""The one project builder: a project folder (what ``IOPGRAPH_ROOT`` points at) made for a test.

    root = build_project(tmp_path)                       # real ontology/, shapes/, queries/ + the fixture data
    root = build_project(tmp_path, data=[ROOT / "data" / "report.ttl"])
    root = build_project(tmp_path, template=FIXTURES / "steward", parts=("ontology", "shapes", "data"), data=[])

The project is ``folder / "project"``: the ``parts`` folders copied from ``template`` (the
checkout by default), each file of ``data`` copied into ``data/``, each ``extra`` file copied to
its path, and the ``empty`` folders created empty.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from support.paths import FIXTURE_DATA, ROOT

SOURCE_PARTS = ("ontology", "shapes", "queries")


def build_project(
    folder: Path,
    *,
    template: Path = ROOT,
    parts: Sequence[str] = SOURCE_PARTS,
    data: Sequence[Path] = (FIXTURE_DATA,),
    extra: Mapping[str, Path] | None = None,
    empty: Sequence[str] = (),
) -> Path:
    """Make ``folder / "project"`` (see the module's docstring) and return it."""
    root = folder / "project"
    for part in parts:
        shutil.copytree(template / part, root / part, dirs_exist_ok=True)
    if data:
        (root / "data").mkdir(parents=True, exist_ok=True)
        for file in data:
            shutil.copy(file, root / "data" / file.name)
    for relative, file in (extra or {}).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(file, root / relative)
    for name in empty:
        (root / name).mkdir(parents=True, exist_ok=True)
    return root
