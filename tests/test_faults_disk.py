"""Disk faults: a full disk and a read-only store give a clear error and never a corrupt store.

The store lives on a small tmpfs mounted by the test (needs root, as in CI),
so "disk full" is the real ENOSPC from the kernel, and "read-only" is a real
read-only bind mount. Without the right to mount, the tests are skipped (see
docs/reliability.md for how the conditions were produced).
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from support.paths import ROOT
from support.project import build_project
from support.reliability import TOKEN, dataset_fingerprint, record
from support.server import ServerProcess

DATA = ROOT / "data" / "report.ttl"
GRAPH = "https://w3id.org/iopgraph/graph/steward/disk"
SUBJECT = "https://w3id.org/iopgraph/id/test/disk-"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}


def _can_mount() -> bool:
    if os.geteuid() != 0:
        return False
    probe = Path("/tmp") / f"iopgraph-mount-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        ok = (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)], capture_output=True
            ).returncode
            == 0
        )
        if ok:
            subprocess.run(["umount", str(probe)], capture_output=True)
        return ok
    except FileNotFoundError:
        return False
    finally:
        probe.rmdir()


pytestmark = pytest.mark.skipif(not _can_mount(), reason="needs root and mount(8) to make a small tmpfs")


@contextlib.contextmanager
def mounted(target: Path, *options: str) -> Iterator[Path]:
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", *options, str(target)], check=True, capture_output=True)
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def write(url: str, n: int, size: int = 2000) -> httpx.Response:
    text = f"disk write {n} " + "x" * size
    update = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <{SUBJECT}{n}> rdfs:comment "{text}" }} }}'
    )
    return httpx.post(url + "/update", content=update, headers=AUTH, timeout=60)


def stored(url: str) -> set[int]:
    query = f"SELECT ?s WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"
    response = httpx.get(
        url + "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200, response.text
    return {int(b["s"]["value"].removeprefix(SUBJECT)) for b in response.json()["results"]["bindings"]}


def fill(folder: Path) -> Path:
    """Fill the file system holding ``folder`` until the kernel says ENOSPC."""
    filler = folder / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 1_000_000)
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_disk_full_refuses_writes_clearly_and_loses_nothing(tmp_path: Path) -> None:
    with mounted(tmp_path / "disk", "-t", "tmpfs", "-o", "size=64m", "tmpfs") as disk:
        env = {
            "IOPGRAPH_ROOT": str(build_project(tmp_path, data=[DATA])),
            "IOPGRAPH_STORE_PATH": str(disk / "store"),
            "IOPGRAPH_WRITE_TOKEN": TOKEN,
            "IOPGRAPH_ACCESS_LOG": "false",
        }
        server = ServerProcess(tmp_path, env)
        with server:
            server.wait_until("/readyz", 60)
            assert write(server.url, 1).status_code == 204
            filler = fill(disk)
            refused = []
            for n in range(2, 6):
                response = write(server.url, n)
                assert response.status_code == 503, response.text
                problem = response.json()
                assert problem["code"] == "store-unavailable"
                assert "disk holding the store is full" in problem["detail"]
                assert str(disk) not in problem["detail"]  # no server paths in responses
                refused.append(n)
            assert stored(server.url) == {1}  # reads still work, and see no refused write
            filler.unlink()
        # restart after freeing space: the store opens, holds exactly the acknowledged write
        server.start()
        try:
            server.wait_until("/readyz", 60)
            assert stored(server.url) == {1}
            assert write(server.url, 6).status_code == 204
            assert stored(server.url) == {1, 6}
        finally:
            server.stop()
        record("faults: disk full", faults_injected=1, writes_refused_with_503=len(refused), writes_lost=0)


def test_read_only_store_is_a_clear_start_up_error_and_stays_intact(tmp_path: Path) -> None:
    with mounted(tmp_path / "disk", "-t", "tmpfs", "-o", "size=64m", "tmpfs") as disk:
        env = {
            "IOPGRAPH_ROOT": str(build_project(tmp_path, data=[DATA])),
            "IOPGRAPH_STORE_PATH": str(disk / "store"),
            "IOPGRAPH_WRITE_TOKEN": TOKEN,
            "IOPGRAPH_ACCESS_LOG": "false",
        }
        with ServerProcess(tmp_path, env) as server:
            server.wait_until("/readyz", 60)
            assert write(server.url, 1).status_code == 204
        before = dataset_fingerprint(ox.Store.read_only(str(disk / "store")))
        with mounted(tmp_path / "readonly", "--bind", str(disk)) as view:
            subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True, capture_output=True)
            assert not os.access(view / "store", os.W_OK) or _is_read_only(view)
            read_only = ServerProcess(tmp_path, {**env, "IOPGRAPH_STORE_PATH": str(view / "store")})
            read_only.start(wait_ready=False)
            code = read_only.process.wait(timeout=60)  # type: ignore[union-attr]
            log = read_only.log()
            assert code != 0
            assert "cannot open the store at" in log and "Read-only file system" in log
        assert dataset_fingerprint(ox.Store.read_only(str(disk / "store"))) == before
        with ServerProcess(tmp_path, env) as server:
            server.wait_until("/readyz", 60)
            assert stored(server.url) == {1}
        record(
            "faults: read-only store",
            faults_injected=1,
            start_refused_with_clear_error=True,
            store_changed=False,
        )


def _is_read_only(path: Path) -> bool:
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
