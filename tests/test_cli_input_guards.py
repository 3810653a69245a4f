"""`iopgraph load` and `iopgraph restore` read files through the guards of every upload (issue 12).

The command line used to parse files with a reader of its own that skipped the
screen of :mod:`iopgraph.core.rdfio`: an RDF/XML file declaring entities was
expanded, invalid UTF-8 reached the parser. Each case runs the installed
entry point in its own process and checks the exit code (2, unreadable input),
the message, and that the store did not change.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from support.steward import PREFIXES, VALID_PROJECT, cli_env, dump

IOPGRAPH = Path(sys.executable).parent / "iopgraph"

ENTITY_RDF_XML = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="http://example.org/id/p9">
    <rdfs:label xml:lang="en">&lol2;</rdfs:label>
  </rdf:Description>
</rdf:RDF>
"""
#: A conforming project whose label holds a byte that is not UTF-8 (Latin-1 "é").
BAD_UTF8_TURTLE = VALID_PROJECT.replace('"Digital twin"@en', '"Digital twin caf\xe9"@en').encode("latin-1")
DEEP_JSONLD = (
    b'{"@id": "http://example.org/id/p9", "http://example.org/ns#x": '
    + b'{"@list": [' * 100
    + b"1"
    + b"]}" * 100
    + b"}"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **cli_env(tmp_path)}


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(IOPGRAPH), *args], env=env, capture_output=True, text=True, timeout=120)


def store_content(env: dict[str, str]) -> set[str]:
    built = run("dump", "-o", os.devnull, env=env)  # builds the store from the sources if needed
    assert built.returncode == 0, built.stderr
    return dump(ox.Store(env["IOPGRAPH_STORE_PATH"]))


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("entities.rdf", ENTITY_RDF_XML, "XML entity declarations (<!ENTITY ...>) are not accepted"),
        ("latin1.ttl", BAD_UTF8_TURTLE, "not valid UTF-8 (byte "),
        ("latin1.ttl.gz", gzip.compress(BAD_UTF8_TURTLE), "not valid UTF-8 (byte "),
        ("deep.jsonld", DEEP_JSONLD, "levels deep; at most 64 are accepted"),
    ],
)
def test_load_refuses_what_an_upload_would_refuse(
    tmp_path: Path, env: dict[str, str], name: str, data: bytes, message: str
) -> None:
    before = store_content(env)
    path = tmp_path / name
    path.write_bytes(data)
    result = run("load", str(path), env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().startswith(f"error: {path}"), result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert store_content(env) == before


def test_load_still_reads_a_gzipped_file(tmp_path: Path, env: dict[str, str]) -> None:
    """The control: the same reader loads a conforming gzipped Turtle file."""
    path = tmp_path / "digital-twin.ttl.gz"
    path.write_bytes(gzip.compress(VALID_PROJECT.encode()))
    result = run("load", str(path), env=env)
    assert result.returncode == 0, result.stderr
    assert "+6 -0 triples" in result.stdout


def test_restore_refuses_a_backup_with_invalid_utf8_and_keeps_the_store(
    tmp_path: Path, env: dict[str, str]
) -> None:
    before = store_content(env)
    backup = tmp_path / "backup.nq.gz"
    bad = f'<{PREFIXES.split("<")[1].split(">")[0]}a> <http://example.org/ns#b> "caf\xe9" .\n'
    backup.write_bytes(gzip.compress(bad.encode("latin-1")))
    result = run("restore", "--yes", str(backup), env=env)
    assert result.returncode == 2, result.stderr
    assert "not valid UTF-8 (byte " in result.stderr and "Traceback" not in result.stderr
    assert store_content(env) == before
