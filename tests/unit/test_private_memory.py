"""A worker's private memory (iopgraph.store.worker.PrivateMemory): smaps_rollup is read again only when
page faults say the memory may have grown; the figure never falls below what the kernel reports."""

from __future__ import annotations

import pytest

from iopgraph.store import worker


def test_the_memory_is_read_again_only_after_enough_new_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[float] = []
    real = worker.private_dirty_mb

    def counted() -> float:
        reads.append(real())
        return reads[-1]

    monkeypatch.setattr(worker, "private_dirty_mb", counted)
    memory = worker.PrivateMemory()
    monkeypatch.setattr(memory, "_exact", False)  # as on a machine without huge pages always on
    first = memory.mb()
    assert len(reads) == 1 and first > 0
    small = [str(i) for i in range(100)]  # a little work: far fewer faults than RECHECK_MB
    assert small
    again = memory.mb()
    assert len(reads) == 1  # not read again
    assert again >= first  # the bound only grows
    touched = bytearray(64 << 20)
    touched[::4096] = b"x" * len(touched[::4096])  # write every page: 64 MB of new private memory
    grown = memory.mb()
    assert len(reads) == 2  # the faults asked for a new reading
    assert grown >= first + 48  # and it saw the new pages
    del touched


def test_with_huge_pages_always_on_every_call_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []

    def read() -> float:
        calls.append(10.0)
        return 10.0

    monkeypatch.setattr(worker, "private_dirty_mb", read)
    memory = worker.PrivateMemory()
    monkeypatch.setattr(memory, "_exact", True)
    memory.mb()
    memory.mb()
    assert len(calls) == 2
