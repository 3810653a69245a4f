"""Helpers of the reliability, hostile-input, fault, load and fuzz tests (their server is
:class:`support.server.ServerProcess`, their project :func:`support.project.build_project`).

* :class:`Recorder` — a loopback HTTP server that records every request it
  gets: hostile inputs point SERVICE, FROM, @context and entities at it, and the
  tests assert it was never called;
* :func:`dataset_fingerprint` — a canonical digest of a whole store, to show a
  rejected input changed nothing;
* :data:`FIGURES` — figures the runs print at the end of the session
  (see ``pytest_terminal_summary`` in conftest.py) and docs/reliability.md records.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from support.paths import ROOT

TOKEN = "reliability-test-token-0123456789abcdef"

#: name → {figure: value}; printed at the end of the pytest session.
FIGURES: dict[str, dict[str, Any]] = defaultdict(dict)


def record(section: str, **figures: Any) -> None:
    """Add figures to the session summary (and to var/reliability/figures.json)."""
    FIGURES[section].update(figures)


def dataset_fingerprint(store: ox.Store) -> str:
    """SHA-256 over the sorted N-Quads of ``store`` (blank-node-free graphs compare exactly)."""
    lines = sorted(str(q) for q in store)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


class Recorder:
    """A loopback HTTP server answering 200 to anything and recording what it was asked."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self) -> None:
                recorder.requests.append(f"{self.command} {self.path}")
                body = b'{"@context": {"x": "http://example.org/x"}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/ld+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _record

            def log_message(self, *args: object) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def recorder() -> Iterator[Recorder]:
    with Recorder() as rec:
        yield rec


def write_figures(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    existing: dict[str, Any] = {}
    if path.exists():
        with contextlib.suppress(ValueError):
            existing = json.loads(path.read_text())
    existing.update(FIGURES)
    path.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")


FIGURES_FILE = ROOT / "var" / "reliability" / "figures.json"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the figures of this run's reliability tests (and keep them in var/reliability/figures.json)."""
    if not FIGURES:
        return
    write_figures(FIGURES_FILE)
    terminalreporter.section("reliability figures")
    for section, figures in sorted(FIGURES.items()):
        values = ", ".join(f"{k}={v}" for k, v in figures.items())
        terminalreporter.write_line(f"{section}: {values}")
