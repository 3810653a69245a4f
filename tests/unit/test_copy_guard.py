"""The copy guard's plan: what the pool does while the workers' copies pass the budget during queries."""

from __future__ import annotations

import os
import subprocess
import sys

from iopgraph.store.copy_guard import COPYING_MB, PAUSE_AT, PAUSE_MAX, Copy, Step, minor_faults, plan

BUDGET = 300.0


def test_nothing_is_done_within_the_budget() -> None:
    copies = [Copy("a", 200, busy=True, query_mb=90, grown_mb=90), Copy("b", 0)]
    assert plan(copies, BUDGET) == []


def test_over_the_budget_without_a_copying_worker_nothing_is_done() -> None:
    """A warm worker repeating a scan copies nothing: its copy is what makes it fast, it is kept."""
    copies = [Copy("warm", 290, busy=True, query_mb=1), Copy("lean", 20, busy=True, query_mb=2)]
    assert plan(copies, BUDGET) == []


def test_an_idle_warm_worker_gives_its_copy_back_when_another_copies() -> None:
    copies = [
        Copy("warm", 280),
        Copy("small", COPYING_MB),
        Copy("scanning", 0, grown_mb=60, busy=True, query_mb=60),
    ]
    assert plan(copies, BUDGET) == [Step("recycle", "warm")]


def test_a_busy_warm_worker_not_copying_is_recycled_after_its_answer() -> None:
    copies = [
        Copy("warm", 280, busy=True, query_mb=0.5),
        Copy("scanning", 0, grown_mb=60, busy=True, query_mb=60),
    ]
    # ...and the copying one waits for that, so that the two copies are never held together.
    assert plan(copies, BUDGET) == [Step("retire", "warm"), Step("pause", "scanning")]
    copies[0].retiring = True  # asked already: not again
    assert plan(copies, BUDGET) == [Step("pause", "scanning")]
    copies[1].paused = True
    assert plan(copies, BUDGET) == []  # waits while the holder runs
    answered = Copy("fresh", 0)  # the holder answered and was recycled
    assert plan([answered, copies[1]], BUDGET) == [Step("resume", "scanning")]


def test_a_paused_worker_is_not_taken_for_a_holder_that_makes_another_wait() -> None:
    """Two paused at once would wait for each other: a paused worker holding a copy pauses nobody."""
    paused = Copy("paused", 150, busy=True, query_mb=100, paused=True, paused_s=0.1)
    scanning = Copy("scanning", 0, grown_mb=200, busy=True, query_mb=200)
    assert plan([paused, scanning], BUDGET) == []


def test_of_two_workers_copying_at_once_the_one_that_copied_less_is_paused() -> None:
    copies = [
        Copy("first", 0, grown_mb=200, busy=True, query_mb=200),
        Copy("second", 0, grown_mb=120, busy=True, query_mb=120),
    ]
    assert plan(copies, BUDGET) == [Step("pause", "second")]


def test_two_workers_copying_a_little_at_once_both_go_on() -> None:
    """Two queries copying together less than PAUSE_AT of the budget: neither waits."""
    below = PAUSE_AT * BUDGET / 2 - 1
    copies = [Copy(k, 0, grown_mb=below, busy=True, query_mb=below) for k in "ab"]
    assert plan(copies, BUDGET) == []
    above = PAUSE_AT * BUDGET / 2 + 1  # two whole-graph scans would pass the budget: one waits
    copies = [Copy("a", 0, grown_mb=above + 5, busy=True, query_mb=above + 5)]
    copies.append(Copy("b", 0, grown_mb=above, busy=True, query_mb=above))
    assert plan(copies, BUDGET) == [Step("pause", "b")]


def test_a_paused_worker_waits_while_the_other_copies_then_resumes() -> None:
    first = Copy("first", 0, grown_mb=250, busy=True, query_mb=250)
    second = Copy("second", 0, grown_mb=120, busy=True, query_mb=120, paused=True, paused_s=0.2)
    assert plan([first, second], BUDGET) == []  # still over, the other still copies
    # The first answered and was recycled: its replacement holds nothing.
    fresh = Copy("fresh", 0)
    assert plan([fresh, second], BUDGET) == [Step("resume", "second")]


def test_a_paused_worker_resumes_when_no_other_worker_copies() -> None:
    """Even over the budget: its own query needs the pages (it retires after its answer)."""
    done = Copy("done", 0, busy=False)
    second = Copy("second", 310, grown_mb=120, busy=True, query_mb=120, paused=True, paused_s=0.1)
    assert plan([done, second], BUDGET) == [Step("resume", "second")]


def test_a_pause_is_bounded() -> None:
    first = Copy("first", 0, grown_mb=250, busy=True, query_mb=250)
    second = Copy("second", 0, grown_mb=120, busy=True, query_mb=120, paused=True, paused_s=PAUSE_MAX)
    assert plan([first, second], BUDGET) == [Step("resume", "second")]


def test_minor_faults_of_a_process_grow_as_it_touches_new_pages() -> None:
    """Read from /proc/<pid>/stat, as the pool reads its workers'; a process that writes 64 MB of fresh
    pages has at least 64 MB of new minor faults."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            'import sys; sys.stdin.readline(); b = b"x" * (64 << 20); sys.stdin.readline()',
        ],
        stdin=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdin is not None
        before = minor_faults(child.pid)
        assert before is not None
        child.stdin.write("\n")
        child.stdin.flush()
        pages = (64 << 20) // os.sysconf("SC_PAGE_SIZE")
        for _ in range(200):
            now = minor_faults(child.pid)
            if now is not None and now - before >= pages:
                break
            subprocess.run(["sleep", "0.02"], check=True)
        assert now is not None and now - before >= pages, (before, now, pages)
    finally:
        child.kill()
        child.wait()
    assert minor_faults(child.pid) is None  # gone


def test_a_worker_paused_for_pause_max_in_its_query_is_not_paused_again() -> None:
    first = Copy("first", 0, grown_mb=250, busy=True, query_mb=250)
    second = Copy("second", 0, grown_mb=120, busy=True, query_mb=120, paused_s=PAUSE_MAX)
    assert plan([first, second], BUDGET) == []  # both copy on: its wait is bounded
    second.paused_s = 0.5
    assert plan([first, second], BUDGET) == [Step("pause", "second")]
