"""Where things are: the checkout, the test fixtures, the virtualenv's scripts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The checkout (the folder with pyproject.toml).
ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
FIXTURES = TESTS / "fixtures"
#: The small linked-data graph most server tests serve (counts do not move while the shipped data grows).
FIXTURE_DATA = FIXTURES / "ldviews" / "data.ttl"
#: The virtualenv's scripts (``iopgraph``, ``oxigraph``).
BIN = Path(sys.executable).parent
PYTHON = sys.executable


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any IOPGRAPH_* setting (so none leaks in from the developer's shell)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOPGRAPH_")}
    env.update(extra)
    return env
