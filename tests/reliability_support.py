"""Helpers of the reliability, hostile-input, fault, load and fuzz tests.

* :func:`make_project` — a project folder with the real ontology, shapes and
  queries and a small fixture data file (the linked-data views' fixture), so
  counts do not move while the shipped data grows;
* :class:`ServerProcess` — the real ``iopgraph serve`` as a subprocess on
  127.0.0.1 and a free port, started in its own process group so that the
  test can SIGKILL it (and only it, with its query workers) by id;
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
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_DATA = Path(__file__).parent / "fixtures" / "ldviews" / "data.ttl"
BIN = Path(sys.executable).parent
TOKEN = "reliability-test-token-0123456789abcdef"

#: name → {figure: value}; printed at the end of the pytest session.
FIGURES: dict[str, dict[str, Any]] = defaultdict(dict)


def record(section: str, **figures: Any) -> None:
    """Add figures to the session summary (and to var/reliability/figures.json)."""
    FIGURES[section].update(figures)


def make_project(folder: Path, data: Path = FIXTURE_DATA) -> Path:
    """A project folder: the real ontology/, shapes/ and queries/, and one small data file."""
    import shutil

    root = folder / "project"
    for sub in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / sub, root / sub)
    (root / "data").mkdir(parents=True)
    shutil.copy(data, root / "data" / data.name)
    return root


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dataset_fingerprint(store: ox.Store) -> str:
    """SHA-256 over the sorted N-Quads of ``store`` (blank-node-free graphs compare exactly)."""
    lines = sorted(str(q) for q in store)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


class ServerProcess:
    """``iopgraph serve`` in a subprocess; ``env`` adds IOPGRAPH_* settings.

    with ServerProcess(tmp_path, {"IOPGRAPH_STORE_PATH": ...}) as server:
        httpx.get(server.url + "/readyz")
        server.kill()        # SIGKILL, no clean-up: what a power cut or the OOM killer does
        server.start()       # same settings, same store
    """

    def __init__(
        self, folder: Path, env: dict[str, str], args: list[str] | None = None, port: int | None = None
    ) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = args or []
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("IOPGRAPH_")},
            "IOPGRAPH_QUERY_WORKERS": "1",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.folder / f"server-{self.port}.log"

    def start(self, timeout: float = 120.0, wait_ready: bool = True) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "iopgraph"), "serve", *self.args, "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: kill() reaches the query workers too
        )
        log.close()
        if wait_ready:
            self.wait_until("/healthz", timeout)

    def wait_until(self, path: str, timeout: float, status: int = 200) -> None:
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            try:
                response = httpx.get(self.url + path, timeout=5)
                if response.status_code == status:
                    return
                last = response.status_code
            except httpx.TransportError as exc:
                last = exc
            time.sleep(0.1)
        raise TimeoutError(
            f"{path} did not answer {status} within {timeout} s (last: {last})\n{self.log()[-4000:]}"
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def children(self) -> list[int]:
        """Pids of the server's process group other than the server itself (its query workers)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == self.pid:
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                if fields[0] != "Z" and int(fields[2]) == self.pid:  # process group id
                    found.append(int(entry.name))
        return found

    def kill(self) -> None:
        """SIGKILL the server and its whole process group, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def terminate(self, timeout: float = 60.0) -> int:
        """SIGTERM (graceful shutdown); returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.terminate(timeout=30)
        self.kill()

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        # Query workers left behind by a SIGKILLed server exit on their own (stdin EOF); make sure.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


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
