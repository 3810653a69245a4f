"""The copy budget kept while queries run, not only after their answers.

A scan in a forked worker writes reference counts into the graph's pages, so the kernel copies each
page it walks (see :mod:`iopgraph.store.zygote`). The workers report their private memory after
each long query, and the pool recycles the largest when the reports together pass the budget
(``IOPGRAPH_WORKER_COPY_BUDGET_MB``). Between two reports, two scans at once can each copy most of
the graph: at 1M triples, ~280 MB each on top of the zygote's ~390 MB.

So while a worker is busy the pool reads its minor page faults (``/proc/<pid>/stat``, ~20 µs; every
page a process copies or allocates costs it one fault first) every :data:`TICK` seconds, adds them
to its last report, and :func:`plan` decides, at each tick while a worker is copying (its faults
since the latest reading before its current query add up to :data:`COPYING_MB`; a warm worker
repeating a scan copies nothing and changes nothing here):

* over the budget, an **idle** worker that holds a copy is recycled at once (its copy is given
  back); else a **busy** one that holds a copy but is not copying now (e.g. a warm worker repeating
  a scan) is recycled after its answer, and the worker copying meanwhile is paused until then;
* when two or more workers copy at once and the estimate passes :data:`PAUSE_AT` of the budget
  (two whole-graph scans would pass the budget together), the one that copied least in its query
  is paused until the other has answered.

A **paused** worker (``SIGSTOP``) keeps what it copied. It resumes when no other worker copies and
the estimate is within the budget (or no other worker holds a copy), when the estimate is back under
:data:`PAUSE_AT` of the budget, or when it has been paused for :data:`PAUSE_MAX` seconds in its
query: then it is not paused again, so a long query beside it bounds its wait, not its answer. Its
query's time limit counts the pause. So two scans at once hold about one copy and a half, not two.

Where transparent huge pages are always on, one fault can bring 2 MB: the estimate then
undercounts, and only the checks after the answers hold.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

#: Seconds between two readings while a worker is busy.
TICK = 0.05
#: A busy worker copies when its page faults in the current query add up to this (MB); a worker holds a
#: copy when its last report says at least this.
COPYING_MB = 8.0
#: Share of the budget past which, of two workers copying at once, one is paused.
PAUSE_AT = 0.5
#: Longest pause (seconds) of a worker copying beside another.
PAUSE_MAX = 2.0

PAGE_MB = resource.getpagesize() / 2**20


def minor_faults(pid: int) -> int | None:
    """The minor page faults of process ``pid`` so far (None: it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            line = stat.read()
    except OSError:
        return None
    # Fields after the command name, which may hold spaces: state ppid pgrp session tty tpgid flags minflt
    return int(line[line.rindex(b")") + 2 :].split()[7])


@dataclass(eq=False)
class Copy:
    """What :func:`plan` knows of one live in-memory worker."""

    key: object  # the pool's worker
    private_mb: float  # its last report
    grown_mb: float = 0.0  # page faults since that report (busy workers only)
    busy: bool = False
    query_mb: float = 0.0  # page faults in the current query (busy workers only)
    paused: bool = False
    paused_s: float = 0.0  # seconds it has been paused in its current query
    retiring: bool = False  # recycled after its answer

    @property
    def estimate_mb(self) -> float:
        return self.private_mb + self.grown_mb

    @property
    def copying(self) -> bool:
        return self.busy and not self.paused and self.query_mb >= COPYING_MB

    @property
    def holds_copy(self) -> bool:
        return self.private_mb >= COPYING_MB


@dataclass(frozen=True)
class Step:
    action: str  # "recycle" (idle: now), "retire" (busy: after its answer), "pause", "resume"
    key: object


def _resumes(c: Copy, copies: list[Copy], copiers: list[Copy], total: float, budget: float) -> bool:
    others_hold = any(o.holds_copy for o in copies if o is not c)
    return (
        c.paused_s >= PAUSE_MAX
        or total <= PAUSE_AT * budget
        or (not copiers and (total <= budget or not others_hold))
    )


def plan(copies: list[Copy], budget: float) -> list[Step]:
    """This tick's steps for the workers ``copies`` under ``budget`` (MB); see the module docstring."""
    total = sum(c.estimate_mb for c in copies)
    copiers = [c for c in copies if c.copying]
    steps = [
        Step("resume", c.key) for c in copies if c.paused and _resumes(c, copies, copiers, total, budget)
    ]
    if not copiers:
        return steps
    pausable = [c for c in copiers if c.paused_s < PAUSE_MAX]
    running_holders = [c for c in copies if c.busy and not c.paused and not c.copying and c.holds_copy]
    if total > budget:
        idle = [c for c in copies if not c.busy and c.holds_copy]
        unmarked = [c for c in running_holders if not c.retiring]
        if idle:
            steps.append(Step("recycle", max(idle, key=lambda c: c.private_mb).key))
        elif unmarked:
            steps.append(Step("retire", max(unmarked, key=lambda c: c.private_mb).key))
    if len(copiers) >= 2 and total > PAUSE_AT * budget:
        leader = max(copiers, key=lambda c: c.query_mb)
        waiting = [c for c in pausable if c is not leader]
        if waiting:
            steps.append(Step("pause", min(waiting, key=lambda c: c.query_mb).key))
    elif len(copiers) == 1 and total > budget and running_holders and pausable:
        steps.append(Step("pause", pausable[0].key))  # until the holder has answered and given its copy back
    return steps
