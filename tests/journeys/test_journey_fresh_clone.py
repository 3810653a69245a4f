"""A fresh clone, outside this workspace: the README's test command without npm and without ../shared.

`make test` on a clone in a temporary folder (no ``../shared`` beside it, and a PATH
without node/npm) must pass, with the report-text tests skipping for one printed reason
and the npm step skipped with a note. It builds the clone's own virtualenv as a new user
would, so it takes minutes: marked ``slow`` (CI's `make soak` runs it). To stay bounded
it runs the README's command with ``PYTEST_ADDOPTS`` naming a few modules (the report-text
tests, the CLI and the configuration) instead of the whole suite; ruff still checks
everything.

The quick tests below check the other half of the rule on this checkout: without the
report the tests skip with that reason, and in CI (``CI=true``) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import ROOT

REASON = "needs the report text D06.02"
REPORT_TESTS = ["tests/test_queries.py", "tests/test_shipped_data.py"]
NODE_TOOLS = {"node", "nodejs", "npm", "npx"}


def _env(**extra: str) -> dict[str, str]:
    drop = ("CI", "IOPGRAPH_", "PYTEST_ADDOPTS", "VIRTUAL_ENV", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


def _pytest(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_without_the_report_the_report_tests_skip_with_the_reason(tmp_path: Path) -> None:
    done = _pytest(_env(IOPGRAPH_REPORT_TEXT=str(tmp_path / "absent.txt")), REPORT_TESTS[0])
    assert done.returncode == 0, done.stdout[-3000:]
    assert REASON in done.stdout and "IOPGRAPH_REPORT_TEXT" in done.stdout
    assert " skipped" in done.stdout and " failed" not in done.stdout


@pytest.mark.parametrize("ci", [{"CI": "true"}, {"IOPGRAPH_REQUIRE_REPORT_TEXT": "1"}], ids=["CI", ".ci/run"])
def test_in_ci_a_missing_report_fails_instead(tmp_path: Path, ci: dict[str, str]) -> None:
    done = _pytest(_env(IOPGRAPH_REPORT_TEXT=str(tmp_path / "absent.txt"), **ci), REPORT_TESTS[0])
    assert done.returncode != 0
    assert REASON in done.stdout and " skipped" not in done.stdout


def _path_without_node(folder: Path) -> str:
    """A PATH holding every command of the current PATH except node and npm (a machine without Node.js)."""
    folder.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            target = folder / name
            if name not in NODE_TOOLS and not target.exists():
                target.symlink_to(Path(directory) / name)
    return str(folder)


@pytest.mark.slow
def test_make_test_passes_on_a_fresh_clone_without_npm_and_shared(tmp_path: Path) -> None:
    clone = tmp_path / "iopgraph"
    assert not (tmp_path / "shared").exists()
    done = subprocess.run(
        ["git", "clone", "--quiet", str(ROOT), str(clone)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    path = _path_without_node(tmp_path / "bin")
    assert shutil.which("npm", path=path) is None
    env = _env(
        PATH=path, PYTEST_ADDOPTS=" ".join([*REPORT_TESTS, "tests/test_cli.py", "tests/test_config.py"])
    )
    done = subprocess.run(
        ["make", "test"], cwd=clone, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    output = "\n".join(
        line for line in (done.stdout + done.stderr).splitlines() if "WARNING: Location" not in line
    )  # pip's notes about local mirrors
    assert done.returncode == 0, output[-5000:]
    assert "npm not found, skipping the web assets" in output
    assert REASON in output, output[-3000:]
    assert " passed" in output and " failed" not in output
    print(output[-1500:])
