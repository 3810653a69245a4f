"""Every SPARQL, curl and Python client example in README.md and docs/*.md runs against a real server.

The fenced blocks are extracted from the documents as they are, ``http://127.0.0.1:8000``
is replaced by a live `iopgraph serve` on the shipped graph (random port, a write token so
the steward's walk-through can write), and each example must succeed: every ``curl`` with
``--fail-with-body`` (any 4xx/5xx fails it), every ``sparql`` block through /sparql, every
Python block that talks to the server as a script. Commands that are not requests to the
server (`make run`, `iopgraph load` with the server stopped, …) are not run here; the CLI
has its own tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from support.paths import ROOT
from support.server import serve

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DEFAULT_BASE = "http://127.0.0.1:8000"
TOKEN = "docs-examples-token-0123456789abcdef"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
_ASSIGNMENT = re.compile(r"""^[A-Za-z_][A-Za-z0-9_]*=('[^']*'|"[^"]*"|[^\s'"]*)$""")


def blocks(language: str) -> list[tuple[str, str]]:
    """(document:line, text) of every fenced block in ``language``."""
    found = []
    for doc in DOCUMENTS:
        text = doc.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            if match.group(1) == language:
                line = text.count("\n", 0, match.start()) + 1
                found.append((f"{doc.relative_to(ROOT)}:{line}", match.group(2)))
    return found


def shell_commands(block: str) -> list[str]:
    """The commands of a shell block: lines joined across backslash continuations and open quotes."""
    commands: list[str] = []
    current = ""
    for line in block.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line + "\n"
        body = re.sub(r"'[^']*'", "", current)  # single-quoted text is closed or still open
        if current.count("'") % 2 == 0 and body.count('"') % 2 == 0 and not line.endswith("\\"):
            commands.append(current.strip())
            current = ""
    assert not current, f"an unterminated command: {current!r}"
    return [re.sub(r"\s+#[^'\"\n]*$", "", c) for c in commands]


def requests_to_the_server(block: str) -> list[str]:
    """The curl commands (and the variable assignments they use) of a block."""
    return [c for c in shell_commands(block) if c.startswith("curl ") or _ASSIGNMENT.match(c)]


def curl_sessions() -> list[tuple[str, list[str]]]:
    """Per document, its requests in reading order: a reader's shell keeps variables (``$G``) across blocks."""
    sessions: dict[str, list[str]] = {}
    for where, text in blocks("sh"):
        sessions.setdefault(where.split(":")[0], []).extend(requests_to_the_server(text))
    return [(doc, commands) for doc, commands in sessions.items() if commands]


CURL_BLOCKS = curl_sessions()
SPARQL_BLOCKS = blocks("sparql")
PYTHON_BLOCKS = [(where, text) for where, text in blocks("python") if DEFAULT_BASE in text]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("docs-examples")
    env = {
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_WRITE_TOKEN": TOKEN,
        "IOPGRAPH_QUERY_WORKERS": "1",
    }
    with serve([], env, timeout=120) as url:
        yield url


def test_the_documents_have_examples_to_run() -> None:
    assert sum(len(c) for _, c in CURL_BLOCKS) >= 8
    assert SPARQL_BLOCKS and PYTHON_BLOCKS


def test_shell_commands_are_split_like_a_shell_would() -> None:
    block = "# a comment\nG='x'\ncurl -s 'http://h/a' \\\n  -H 'A: b'   # trailing\ncurl --data 'q=\nline 2'\nmake run\n"
    assert shell_commands(block) == [
        "G='x'",
        "curl -s 'http://h/a' \\\n  -H 'A: b'",
        "curl --data 'q=\nline 2'",
        "make run",
    ]
    assert requests_to_the_server(block) == [
        "G='x'",
        "curl -s 'http://h/a' \\\n  -H 'A: b'",
        "curl --data 'q=\nline 2'",
    ]


@pytest.mark.parametrize(("where", "commands"), CURL_BLOCKS, ids=[w for w, _ in CURL_BLOCKS])
def test_curl_examples_succeed(base: str, where: str, commands: list[str]) -> None:
    env = {**os.environ, "IOPGRAPH_WRITE_TOKEN": TOKEN}
    script = ["set -e"]
    for command in commands:
        command = command.replace(DEFAULT_BASE, base)
        if command.startswith("curl "):
            command = "curl --fail-with-body -sS " + command[len("curl ") :]
        script.append(command)
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{where}: {done.stderr[-2000:]}\n{done.stdout[-2000:]}"


@pytest.mark.parametrize(("where", "query"), SPARQL_BLOCKS, ids=[w for w, _ in SPARQL_BLOCKS])
def test_sparql_examples_parse_and_run(base: str, where: str, query: str) -> None:
    r = httpx.post(
        base + "/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert r.status_code == 200, f"{where}: {r.text[:1000]}"


@pytest.mark.parametrize(("where", "code"), PYTHON_BLOCKS, ids=[w for w, _ in PYTHON_BLOCKS])
def test_python_client_examples_run(base: str, where: str, code: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code.replace(DEFAULT_BASE, base)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{where}: {done.stderr[-2000:]}"
    assert len(done.stdout.splitlines()) >= 5, done.stdout


def test_syntax_errors_name_line_column_and_token(base: str) -> None:
    """Issue 10 item 6: the 400 says where and what, in words, not the parser's Unicode ranges."""
    query = "SELECT ?s ?label WHERE {\n  ?s rdfs:label ?label }"
    r = httpx.post(base + "/sparql", data={"query": query})
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert "line 2, column 6" in detail and "prefix rdfs: is not declared" in detail, detail
    assert "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>" in detail
    assert "\\u{" not in detail and "..=" not in detail, detail
    r = httpx.post(base + "/sparql", data={"query": "SELECT * WHERE { ?s ?p ?o"})
    assert r.status_code == 400
    assert "line 1, column 26: found the end of the query; expected one of" in r.json()["detail"]
