"""A real `oxigraph serve` on loopback (pip package `oxigraph`), for the remote-store tests.

with oxigraph_serve(folder, [(file, None), (other, "http://example.org/g")]) as (base, process):
    httpx.get(base + "/query", params={"query": "ASK {}"})
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

OXIGRAPH = Path(sys.executable).with_name("oxigraph")


def oxigraph_binary() -> str:
    """The `oxigraph` server binary (skips the test when it is not installed)."""
    found = str(OXIGRAPH) if OXIGRAPH.exists() else shutil.which("oxigraph")
    if not found:
        pytest.skip("the oxigraph server binary (pip package `oxigraph`) is not installed")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def oxigraph_serve(
    folder: Path,
    files: list[tuple[Path, str | None]],
    *extra: str,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`oxigraph load` each (file, graph or None) into ``folder``, then `oxigraph serve` it with a union
    default graph on a free loopback port: (its base URL, its process); stopped afterwards."""
    binary = oxigraph_binary()
    for file, graph in files:
        load = [binary, "load", "--location", str(folder / "db"), "--file", str(file)]
        subprocess.run(
            load + (["--graph", graph] if graph else []), check=True, capture_output=True, timeout=120
        )
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "serve",
            "--location",
            str(folder / "db"),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/query", params={"query": "ASK {}"}, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("oxigraph serve did not start")
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=10)
