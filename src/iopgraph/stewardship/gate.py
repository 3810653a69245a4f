"""The SHACL gate every write passes: compute the change, validate it, apply it atomically, record it.

    gate = WriteGate(backend, checker, mode="neighbourhood", limits=limits)
    outcome = await gate.write(graph_plan("replace", graph, upload), agent="steward", client=request)
    outcome = await gate.write(lambda store: replace_graph(store, graph, quads), agent="cli")  # trusted, in-process

Under one lock per gate (writers are serialised, so a write is validated against
exactly the state it is applied to; waiting for the lock is bounded by
IOPGRAPH_WRITE_TIMEOUT):

1. the plan computes the :class:`Change` against the current store: a
   :class:`~iopgraph.stewardship.isolation.WritePlan` (every write of the HTTP API)
   is parsed, planned and checked in an isolated worker with the write time
   limit, and comes back as N-Quads; a callable plan (``iopgraph load``, whose
   files are the operator's own) runs in a thread;
2. the checker finds the SHACL results the change would introduce; any
   violation → :class:`ValidationFailed` (422, with the report), nothing written;
   a client that hung up meanwhile gets nothing written either;
3. the change and its PROV-O activity go to the backend in ONE transaction
   (``Backend.replace_quads``): readers see the store before or after, never between;
4. listeners (the LDES feed) hear about the accepted write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio.to_thread
import pyoxigraph as ox
from starlette.requests import Request

from iopgraph.core.errors import IopgraphError, ValidationFailed
from iopgraph.stewardship.changes import Change
from iopgraph.stewardship.checks import ChangeCheck, Checker
from iopgraph.stewardship.isolation import (
    ClientGone,
    Limits,
    WritePlan,
    change_from,
    report_from,
    run_job,
    write_reads,
)
from iopgraph.stewardship.provenance import activity_quads
from iopgraph.store.backend import Backend
from iopgraph.store.sharing import write_lease

log = logging.getLogger("iopgraph.writes")

Plan = Callable[[ox.Store], Change]
Disconnected = Callable[[], Awaitable[bool]]


class WritesBusy(IopgraphError):
    status = 503
    code = "writes-busy"


@dataclass
class WriteOutcome:
    """What an accepted (or dry-run) write did."""

    change: Change
    check: ChangeCheck | None
    activity: str | None
    time: datetime

    def to_json(self) -> dict[str, object]:
        return {
            "operation": self.change.operation,
            "graphs": self.change.graphs,
            "triplesAdded": len(self.change.add),
            "triplesRemoved": len(self.change.remove),
            "activity": self.activity,
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "validation": None
            if self.check is None
            else {
                "mode": self.check.mode,
                "focusNodes": self.check.focus_nodes,
                "warnings": len(self.check.report.warnings),
            },
        }


WriteListener = Callable[[WriteOutcome], Awaitable[None] | None]


class WriteGate:
    """Serialises, validates, applies and records writes to one backend."""

    def __init__(
        self, backend: Backend, checker: Checker, mode: str = "neighbourhood", limits: Limits | None = None
    ) -> None:
        self.backend = backend
        self.checker = checker
        self.mode = mode
        self.limits = limits
        self.listeners: list[WriteListener] = []
        self._lock = asyncio.Lock()

    async def write(
        self, plan: Plan | WritePlan, agent: str, dry_run: bool = False, client: Request | None = None
    ) -> WriteOutcome:
        """Apply ``plan`` if it introduces no SHACL violation; raises ValidationFailed (422) otherwise.

        ``client``: the request the write answers; once it has hung up, the write is abandoned.
        """
        disconnected = client.is_disconnected if client is not None else None
        wait = self.limits.write_timeout if self.limits else None
        try:
            async with asyncio.timeout(wait):
                await self._lock.acquire()
        except TimeoutError:
            raise WritesBusy(
                f"another write kept the store busy for {wait:g} s (IOPGRAPH_WRITE_TIMEOUT); "
                "nothing was written, try again shortly"
            ) from None
        try:
            async with write_lease(self.backend, wait):  # several processes over one remote store: one writer
                outcome = await self._write_locked(plan, agent, dry_run, disconnected)
        finally:
            self._lock.release()
        if outcome.activity is None:  # nothing written (empty change, dry run)
            return outcome
        for listener in self.listeners:
            try:
                result = listener(outcome)
                if result is not None:
                    await result
            except Exception:  # a feed that fails must not turn an accepted write into an error
                log.exception("a write listener failed")
        return outcome

    async def _write_locked(
        self, plan: Plan | WritePlan, agent: str, dry_run: bool, disconnected: Disconnected | None
    ) -> WriteOutcome:
        """Steps 1–3 of the module docstring, with the gate (and the store's write lease) held."""
        started = datetime.now(UTC)
        version = self.backend.version
        if isinstance(plan, WritePlan):
            change, check = await self._plan_isolated(plan, version, disconnected)
        else:
            change, check = await self._plan_here(plan, version)
        if change.is_empty or check is None:
            return WriteOutcome(change, None, None, started)
        if not check.accepted:
            n = len(check.report.violations)
            raise ValidationFailed(
                f"the write would introduce {n} SHACL violation{'s' if n != 1 else ''}; nothing was changed",
                check.report.to_json(),
            )
        if dry_run:
            return WriteOutcome(change, check, None, started)
        if disconnected is not None and await disconnected():
            raise ClientGone(
                "the client closed the connection before the write was applied; nothing was written"
            )
        activity = activity_quads(change, agent, started)
        await self.backend.replace_quads(change.remove, [*change.add, *activity.quads])
        self.checker.remember(self.backend.version, check)
        outcome = WriteOutcome(change, check, activity.iri.value, datetime.now(UTC))
        log.info(
            "write by %s: %s %s (+%d -%d)",
            agent,
            change.operation,
            change.graphs,
            len(change.add),
            len(change.remove),
        )
        return outcome

    async def _plan_here(self, plan: Plan, version: str) -> tuple[Change, ChangeCheck | None]:
        """A trusted plan (the operator's files): planned and checked in a thread of this process, on the
        store the backend hands over (:meth:`~iopgraph.store.backend.Backend.run_on_store`)."""

        def run(source: ox.Store) -> tuple[Change, ChangeCheck | None]:
            change = plan(source)
            change.check_writable()
            if change.is_empty:
                return change, None
            return change, self.checker.check_change(source, change, self.mode, version)

        return await self.backend.run_on_store(run)

    async def _plan_isolated(
        self, plan: WritePlan, version: str, disconnected: Disconnected | None
    ) -> tuple[Change, ChangeCheck | None]:
        """Parse, plan and check in an isolated worker; only JSON and N-Quads come back."""
        limits = self.limits
        assert limits is not None, "isolated plans need the gate's limits"
        args = {
            **plan.args,
            "checker": limits.checker,
            "mode": self.mode,
            "version": version,
            "max_quads": limits.max_quads,
            "max_depth": limits.max_depth,
        }
        header, body = await run_job(
            self.backend,
            "plan-write",
            args,
            plan.payload,
            limits.write_timeout,
            "write",
            "IOPGRAPH_WRITE_TIMEOUT",
            disconnected,
            write_reads(plan.args, self.checker.has_shapes),
        )
        check = None
        if "report" in header:
            report = report_from(header["report"])
            check = ChangeCheck(
                report, str(header.get("check_mode", self.mode)), int(header.get("focus_nodes", 0))
            )
            if not check.accepted:
                n = len(report.violations)
                raise ValidationFailed(
                    f"the write would introduce {n} SHACL violation{'s' if n != 1 else ''}; nothing was changed",
                    report.to_json(),
                )
        change = await anyio.to_thread.run_sync(change_from, header, body)
        change.check_writable()
        return change, (None if change.is_empty else check)
