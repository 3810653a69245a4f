"""What the suite needs from outside the repository, and what happens when it is absent.

`make test` works on a fresh clone with Python alone: tests that need the report
text (``../shared/source/``, or ``IOPGRAPH_REPORT_TEXT``) or npm-installed tools
(``web/node_modules``, from `make web`) skip with one clear reason. In CI
(``CI=true``, or ``IOPGRAPH_REQUIRE_REPORT_TEXT=1`` as `.ci/run` sets) they fail
instead, so nothing CI should check is skipped silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.paths import ROOT
from support.report import REPORT, REPORT_VARIABLE


def report_required() -> bool:
    """In CI (CI=true, or IOPGRAPH_REQUIRE_REPORT_TEXT=1 as .ci/run sets) the report and npm tools are mandatory."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.environ.get(
        "IOPGRAPH_REQUIRE_REPORT_TEXT", ""
    ) not in ("", "0", "false")


def require_npm_tool(path: Path, what: str) -> None:
    """Skip (fail in CI) when an npm-installed file is absent: `make test` works with Python alone."""
    if path.exists():
        return
    reason = (
        f"needs {what} from npm ({path.relative_to(ROOT)} is missing): install Node.js and npm, then run "
        "`make web`; CI (CI=true) fails instead of skipping"
    )
    if report_required():
        pytest.fail(reason)
    pytest.skip(reason)


def missing_report_reason() -> str:
    return (
        f"needs the report text D06.02, not found at {REPORT}: put the workspace's shared/source/ beside "
        f"the project (../shared/source/) or set {REPORT_VARIABLE} to the report's text file; "
        "CI (CI=true) fails instead of skipping"
    )
