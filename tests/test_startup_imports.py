"""What a real `iopgraph serve` on the embedded store loads: not the libraries it does not use (issue 13).

A restart's first answer waits for Python to import the app (about half of it at 1M triples,
``docs/memory-and-startup.md``). httpx is only for a remote store (``iopgraph.store.remote``), pySHACL
only for validating a write or an upload (``iopgraph.validation``); together they were ~0.3 s of
every start. The server runs under ``python -X importtime``, which writes one line per module
imported by that process (not by its query workers, started without the flag), and answers a
SPARQL query, a page and a collection before it is stopped.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from support.paths import BIN, ROOT, clean_env
from support.ports import free_port
from support.project import build_project

#: Modules the server on the embedded store must not import while it serves reads.
NOT_LOADED = ("httpx", "pyshacl", "iopgraph.store.remote")
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$")


def imported_modules(log: str) -> set[str]:
    """The modules an ``-X importtime`` log says were imported."""
    return {m.group(1) for line in log.splitlines() if (m := _IMPORTED.match(line))}


@pytest.fixture(scope="module")
def startup_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("startup-imports")
    port = free_port()
    env = clean_env(
        IOPGRAPH_ROOT=str(build_project(folder, data=sorted((ROOT / "data").glob("*.ttl")))),
        IOPGRAPH_STORE_PATH=str(folder / "store"),
        IOPGRAPH_BUILD_DIR=str(folder / "build"),
        IOPGRAPH_QUERY_WORKERS="1",
        IOPGRAPH_ACCESS_LOG="false",
    )
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(BIN / "python"), "-X", "importtime", "-m", "iopgraph.cli", "serve"]
            + ["--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base, log_path)
        with httpx.Client(base_url=base, timeout=60) as client:
            answered = [
                client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}),
                client.get("/challenges"),
                client.get("/api/mitigations", headers={"Accept": "application/ld+json"}),
            ]
        assert [r.status_code for r in answered] == [200, 200, 200], [r.text[:300] for r in answered]
    finally:
        process.terminate()
        process.wait(60)
    return log_path.read_text(errors="replace")


def _wait_ready(process: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with {process.returncode}:\n{log_path.read_text()[-4000:]}"
            )
        try:
            if httpx.get(base + "/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"/readyz did not answer 200 within 120 s\n{log_path.read_text()[-4000:]}")


def test_the_log_lists_what_the_server_imported(startup_log: str) -> None:
    # the check below means something only if the log does list the server's imports
    modules = imported_modules(startup_log)
    assert {"fastapi", "pyoxigraph", "iopgraph.app", "iopgraph.validation"} <= modules


@pytest.mark.parametrize("module", NOT_LOADED)
def test_a_server_on_the_embedded_store_does_not_import(startup_log: str, module: str) -> None:
    assert module not in imported_modules(startup_log)


def test_validating_still_loads_pyshacl_when_it_is_needed() -> None:
    # lazy, not gone: the first validation imports it (in a fresh interpreter, to see it happen)
    code = (
        "import sys, pathlib, rdflib, iopgraph.validation as v\n"
        "assert 'pyshacl' not in sys.modules\n"
        "data = rdflib.Graph().parse(data='<urn:x> a <https://w3id.org/iopgraph/ontology#Mitigation> .', "
        "format='turtle')\n"
        "report = v.validate_graph(data, v.load_shapes(pathlib.Path('.')))\n"
        "print('pyshacl' in sys.modules, report.conforms)\n"
    )
    out = subprocess.run(
        [str(BIN / "python"), "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-2000:]
    # a mitigation with no label, no section: the shapes find violations, so pySHACL did run
    assert out.stdout.split() == ["True", "False"]
