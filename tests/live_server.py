"""Start `iopgraph serve FILE...` as a real process on a free loopback port, for client and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(files: list[Path], env: dict[str, str] | None = None, timeout: float = 60) -> Iterator[str]:
    """The base URL of a running `iopgraph serve FILES --port N`; the process is stopped afterwards."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IOPGRAPH_")}
    clean.update({"IOPGRAPH_ROOT": str(ROOT), "IOPGRAPH_ACCESS_LOG": "false", **(env or {})})
    command = [sys.executable, "-m", "iopgraph.cli", "serve", *map(str, files), "--port", str(port)]
    process = subprocess.Popen(command, env=clean, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"iopgraph serve exited with {process.returncode}:\n{output}")
            try:
                if httpx.get(base + "/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("iopgraph serve did not answer in time")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
