"""A real `oxigraph serve` on loopback (pip package `oxigraph`), for the remote-store tests.

    with oxigraph_serve(folder, [(file, None), (other, "http://example.org/g")]) as (base, process):
        httpx.get(base + "/query", params={"query": "ASK {}"})

:class:`OxigraphServer` is the process itself, on a port and folder of its own so that a
test can crash it, hang it (SIGSTOP) and start it again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from support.ports import free_port

OXIGRAPH = Path(sys.executable).with_name("oxigraph")


def oxigraph_binary() -> str:
    """The `oxigraph` server binary (skips the test when it is not installed)."""
    found = str(OXIGRAPH) if OXIGRAPH.exists() else shutil.which("oxigraph")
    if not found:
        pytest.skip("the oxigraph server binary (pip package `oxigraph`) is not installed")
    return found


class OxigraphServer:
    """`oxigraph serve` of the database in ``folder / "db"`` on a free loopback port (fixed once chosen)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.binary = oxigraph_binary()
        self.process: subprocess.Popen[bytes] | None = None

    def load_files(self, files: list[tuple[Path, str | None]]) -> None:
        """`oxigraph load` each (file, graph IRI or None for the default graph)."""
        for file, graph in files:
            load = [self.binary, "load", "--location", str(self.folder / "db"), "--file", str(file)]
            subprocess.run(
                load + (["--graph", graph] if graph else []), check=True, capture_output=True, timeout=120
            )

    def load_project(self, project: Path) -> None:
        """The project's files, one named graph each (as the embedded store holds them)."""
        quads = []
        for path in sorted(project.glob("ontology/*.ttl")) + sorted(project.glob("data/*.ttl")):
            graph = ox.NamedNode(f"https://w3id.org/iopgraph/graph/{path.parent.name}/{path.stem}")
            quads += [ox.Quad(t.subject, t.predicate, t.object, graph) for t in ox.parse(path=str(path))]
        dataset = self.folder / "dataset.nq"
        ox.serialize(quads, str(dataset), ox.RdfFormat.N_QUADS)
        self.load_files([(dataset, None)])

    def start(self, *extra: str, timeout: float = 30) -> None:
        """Serve with a union default graph (``extra`` adds options) and wait until it answers."""
        self.process = subprocess.Popen(
            [
                self.binary,
                "serve",
                "--location",
                str(self.folder / "db"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--union-default-graph",
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/query", params={"query": "ASK {}"}, timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("oxigraph serve did not start")

    def crash(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def signal(self, sig: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, sig)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)


@contextmanager
def oxigraph_serve(
    folder: Path,
    files: list[tuple[Path, str | None]],
    *extra: str,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`oxigraph load` each (file, graph or None) into ``folder``, then `oxigraph serve` it with a union
    default graph on a free loopback port: (its base URL, its process); stopped afterwards."""
    server = OxigraphServer(folder)
    server.load_files(files)
    try:
        server.start(*extra)
        assert server.process is not None
        yield server.url, server.process
    finally:
        server.stop()
