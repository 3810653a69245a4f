"""The one live-server launcher: the real ``iopgraph serve`` as a subprocess on 127.0.0.1 and a free port.

* :class:`ServerProcess` — the process itself, started in its own process group so that a
  test can SIGKILL it (and only it, with its query workers) by id; its output goes to a
  log file whose tail every start-up error carries;
* :func:`serve` — a context manager: the base URL of a server that answers ``/readyz``;
* :func:`live_server` — the pytest fixture: a factory of ready servers, stopped at teardown;
* :func:`serving` — the app run by uvicorn in a thread of the test process, for the browser
  tests that build their settings in Python (an in-process server, as unit tests use).

A server that fails during a test prints the tail of its log, which pytest shows with the failure.

    with ServerProcess(tmp_path, {"IOPGRAPH_STORE_PATH": ...}) as server:
        httpx.get(server.url + "/readyz")
        server.kill()        # SIGKILL, no clean-up: what a power cut or the OOM killer does
        server.start()       # same settings, same store
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from support.paths import BIN, ROOT, clean_env
from support.ports import free_port

LOG_TAIL = 4000


class ServerProcess:
    """``iopgraph serve`` in a subprocess; ``env`` adds IOPGRAPH_* settings (none is inherited).

    ``args`` go after ``serve``; ``--host 127.0.0.1 --port N`` follow unless ``listen_args`` is
    false (to test ``IOPGRAPH_PORT``; write ``{port}`` in ``env`` or ``args`` for the port).
    ``folder`` holds the log and is the working directory unless ``cwd`` is given.
    """

    def __init__(
        self,
        folder: Path,
        env: dict[str, str],
        args: list[str] | None = None,
        port: int | None = None,
        *,
        cwd: Path | None = None,
        listen_args: bool = True,
    ) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [a.replace("{port}", str(self.port)) for a in args or []]
        if listen_args:
            self.args += ["--host", "127.0.0.1", "--port", str(self.port)]
        self.cwd = cwd or folder
        given = {k: v.replace("{port}", str(self.port)) for k, v in env.items()}
        self.env = clean_env(**{"IOPGRAPH_QUERY_WORKERS": "1", **given})
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.folder / f"server-{self.port}.log"

    def start(self, timeout: float = 120.0, wait_ready: bool = True, ready: str = "/healthz") -> None:
        """Start the process; unless ``wait_ready`` is false, wait until ``ready`` answers 200."""
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "iopgraph"), "serve", *self.args],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: kill() reaches the query workers too
            )
        if wait_ready:
            self.wait_until(ready, timeout)

    def wait_until(self, path: str, timeout: float, status: int = 200) -> None:
        """Poll ``path`` until it answers ``status``; raise with the log's tail if the process exits first."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                response = httpx.get(self.url + path, timeout=5)
                if response.status_code == status:
                    return
                last = response.status_code
            except httpx.TransportError as exc:
                last = exc
            time.sleep(0.1)
        raise TimeoutError(
            f"{path} did not answer {status} within {timeout} s (last: {last})\n{self.log_tail()}"
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self) -> str:
        return self.log()[-LOG_TAIL:]

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
        """Stop the server (SIGTERM, then SIGKILL) and whatever is left of its process group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.terminate(timeout=30)
            self.kill()
        # Query workers left behind by a SIGKILLed server exit on their own (stdin EOF); make sure.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is not None and kind is not GeneratorExit:
            print(
                f"--- log of iopgraph serve on {self.url} (last {LOG_TAIL} characters) ---\n{self.log_tail()}"
            )
        self.stop()


@contextmanager
def serve(
    files: list[Path], env: dict[str, str] | None = None, timeout: float = 60, folder: Path | None = None
) -> Iterator[str]:
    """The base URL of a ready ``iopgraph serve FILES`` (``/readyz`` answers 200); stopped afterwards.

    ``IOPGRAPH_ROOT`` is the checkout unless ``env`` says otherwise; the working directory is
    the checkout; the log goes to ``folder`` (a temporary folder by default).
    """
    settings = {"IOPGRAPH_ROOT": str(ROOT), "IOPGRAPH_ACCESS_LOG": "false", **(env or {})}
    with contextlib.ExitStack() as stack:
        logs = folder or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="iopgraph-serve-")))
        server = stack.enter_context(ServerProcess(logs, settings, [str(f) for f in files], cwd=ROOT))
        server.wait_until("/readyz", timeout)
        yield server.url


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """A factory of ready servers: ``live_server(env, args=[...])`` → a :class:`ServerProcess` that
    answers ``/readyz``, its log in ``tmp_path``; every one is stopped at teardown (its log's tail
    printed, which pytest shows when the test failed)."""
    started: list[ServerProcess] = []

    def start(env: dict[str, str], args: list[str] | None = None, timeout: float = 120.0) -> ServerProcess:
        server = ServerProcess(tmp_path, env, args)
        started.append(server)
        server.start(timeout, ready="/readyz")
        return server

    yield start
    for server in started:
        print(f"--- log of iopgraph serve on {server.url} ---\n{server.log_tail()}")
        server.stop()


@contextmanager
def serving(make_settings: Callable[[str], Any]) -> Iterator[str]:
    """Run the app built from ``make_settings(base_url)`` by uvicorn in a thread; yield its base URL."""
    from iopgraph.app import create_app

    port = free_port()
    settings = make_settings(f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start within 60 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
