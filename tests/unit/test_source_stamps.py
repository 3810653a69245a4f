"""A restart whose source files kept their size and modification time does not read them again.

``ensure_built`` keeps each file's (name, size, mtime) beside the sources' hash; when all match, and
no file was modified within ``RACY_NS`` before they were taken (git's rule for "racy" files), the stored
hash stands for the bytes. Otherwise the bytes are hashed, as before: a changed file is always seen.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

import iopgraph.store.local as local
from iopgraph.core.sources import SourceFile

HOUR_NS = 3600 * 10**9


def _write(path: Path, value: str) -> None:
    path.write_text(f'<http://example.org/s> <http://example.org/p> "{value}" .\n')


def _age(path: Path, ns_ago: int) -> None:
    when = time.time_ns() - ns_ago
    os.utime(path, ns=(when, when))


@pytest.fixture
def sources(tmp_path: Path) -> list[SourceFile]:
    folder = tmp_path / "data"
    folder.mkdir()
    files = []
    for name in ("a", "b"):
        _write(folder / f"{name}.ttl", name)
        _age(folder / f"{name}.ttl", HOUR_NS)
        files.append(SourceFile(folder / f"{name}.ttl", f"data/{name}.ttl"))
    return files


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the times the sources' bytes are hashed."""
    calls: list[int] = []
    real = local.content_hash

    def counting(files: list[SourceFile]) -> str:
        calls.append(len(files))
        return real(files)

    monkeypatch.setattr(local, "content_hash", counting)
    return calls


def test_unchanged_stamps_skip_reading_the_files(
    tmp_path: Path, sources: list[SourceFile], hashes: list[int]
) -> None:
    store = ox.Store()
    assert local.ensure_built(store, tmp_path / "store", sources).rebuilt
    assert len(hashes) == 1
    again = local.ensure_built(store, tmp_path / "store", sources)
    assert not again.rebuilt
    assert len(hashes) == 1  # the stamps matched: no byte was read


def test_a_changed_file_is_seen_even_with_its_old_size(
    tmp_path: Path, sources: list[SourceFile], hashes: list[int]
) -> None:
    store = ox.Store()
    first = local.ensure_built(store, tmp_path / "store", sources)
    _write(sources[0].path, "z")  # same size, new bytes, a new mtime
    _age(sources[0].path, HOUR_NS // 2)
    second = local.ensure_built(store, tmp_path / "store", sources)
    assert second.rebuilt and second.source_hash != first.source_hash
    assert len(hashes) == 2
    assert {str(q.object) for q in store} == {'"z"', '"b"'}


def test_a_touched_file_is_hashed_once_then_trusted_again(
    tmp_path: Path, sources: list[SourceFile], hashes: list[int]
) -> None:
    store = ox.Store()
    local.ensure_built(store, tmp_path / "store", sources)
    _age(sources[1].path, HOUR_NS // 2)  # touched: same bytes, new time
    assert not local.ensure_built(store, tmp_path / "store", sources).rebuilt
    assert len(hashes) == 2  # read again, found unchanged, its new stamp kept
    assert not local.ensure_built(store, tmp_path / "store", sources).rebuilt
    assert len(hashes) == 2


def test_a_file_modified_just_before_its_stamp_is_read_again(
    tmp_path: Path, sources: list[SourceFile], hashes: list[int]
) -> None:
    store = ox.Store()
    _age(sources[0].path, 0)  # modified now: within RACY_NS of the stamp about to be taken
    local.ensure_built(store, tmp_path / "store", sources)
    assert not local.ensure_built(store, tmp_path / "store", sources).rebuilt
    assert len(hashes) == 2  # racy: its stamp proves nothing, its bytes were hashed again


def test_a_racy_file_is_trusted_once_it_is_older_than_the_margin(
    tmp_path: Path, sources: list[SourceFile], hashes: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "RACY_NS", 50_000_000)  # 50 ms instead of 2 s, to keep the test short
    store = ox.Store()
    _age(sources[0].path, 0)
    local.ensure_built(store, tmp_path / "store", sources)  # hashed; its stamp is racy
    time.sleep(0.1)
    local.ensure_built(store, tmp_path / "store", sources)  # hashed again, and stamped anew
    assert len(hashes) == 2
    local.ensure_built(store, tmp_path / "store", sources)  # now older than the margin at its stamp
    assert len(hashes) == 2
