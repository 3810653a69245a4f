"""A real Virtuoso (Debian's ``virtuoso-opensource``: ``virtuoso-t``) on loopback, for the remote-store tests.

    with virtuoso_serve(folder) as server:          # a fresh database in folder, random HTTP and ISQL ports
        httpx.post(server.query_url, data={"query": "ASK {}"})
        server.load_turtle(path, "http://example.org/g")

The database, log and ini live in ``folder``; the ``SPARQL`` user (the anonymous ``/sparql``
endpoint) is granted ``SPARQL_UPDATE`` through ISQL, so ``/sparql`` takes updates as well
(docs/deploy.md says how to do the same on a real deployment, or to use ``/sparql-auth``).
The test skips when ``virtuoso-t`` is not installed, and fails instead in CI
(``support.requirements.report_required``: `.ci/run` installs the package).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from support.ports import free_port
from support.requirements import report_required

INI = """[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql}
DisableUnixSocket = 1
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {folder}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = {folder}
MaxClientConnections = 20
ServerThreads = 20
MaxKeepAlives = 20
KeepAliveTimeout = 10
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""


def virtuoso_binaries() -> tuple[str, str]:
    """``virtuoso-t`` and its ISQL client; skips (fails in CI) when the package is not installed."""
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt") or shutil.which("isql")
    if not server or not isql:
        reason = (
            "needs Virtuoso (`virtuoso-t` and `isql-vt`, Debian package virtuoso-opensource: "
            "apt-get install virtuoso-opensource); CI (CI=true, .ci/run) fails instead of skipping"
        )
        if report_required():
            pytest.fail(reason)
        pytest.skip(reason)
    return server, isql


class VirtuosoServer:
    """``virtuoso-t -f`` with a database of its own in ``folder`` on free loopback ports."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.binary, self.isql = virtuoso_binaries()
        self.http_port, self.isql_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.query_url = self.update_url = self.url + "/sparql"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        ini = self.folder / "virtuoso.ini"
        ini.write_text(INI.format(folder=self.folder, isql=self.isql_port, http=self.http_port), "utf-8")
        self.process = subprocess.Popen(
            [self.binary, "-f", "-c", str(ini)],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited: {self.log_tail()}")
            try:
                if httpx.get(self.query_url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"virtuoso-t did not start: {self.log_tail()}")
        self.sql('grant SPARQL_UPDATE to "SPARQL";')

    def sql(self, statement: str) -> str:
        """Run one SQL statement through ISQL as dba (the default password of a fresh database)."""
        done = subprocess.run(
            [self.isql, f"127.0.0.1:{self.isql_port}", "dba", "dba", f"exec={statement}"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        out = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
        if done.returncode != 0 or "*** Error" in out:
            raise RuntimeError(f"isql {statement!r} failed: {out[-2000:]}")
        return out

    def update(self, text: str) -> None:
        r = httpx.post(self.update_url, data={"update": text}, timeout=60)
        r.raise_for_status()

    def load_turtle(self, path: Path, graph: str) -> None:
        """Load a Turtle file into ``graph`` with the store's own loader (``DB.DBA.TTLP``)."""
        text = path.read_text("utf-8").replace("'", "\\'")
        self.sql(f"DB.DBA.TTLP('{text}', '', '{graph}', 0);")

    def log_tail(self) -> str:
        log = self.folder / "virtuoso.log"
        return log.read_text("utf-8", errors="replace")[-2000:] if log.exists() else "(no log)"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@contextmanager
def virtuoso_serve(folder: Path) -> Iterator[VirtuosoServer]:
    """A started :class:`VirtuosoServer` on a fresh database in ``folder``; killed afterwards."""
    server = VirtuosoServer(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()
