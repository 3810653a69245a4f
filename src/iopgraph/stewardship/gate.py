"""The SHACL gate every write passes: compute the change, validate it, apply it atomically, record it.

    gate = WriteGate(backend, checker, mode="neighbourhood")
    outcome = await gate.write(lambda store: replace_graph(store, graph, quads), agent="steward")

Under one lock per gate (writers are serialised, so a write is validated against
exactly the state it is applied to):

1. the plan computes the :class:`Change` against the current store;
2. the checker finds the SHACL results the change would introduce; any
   violation → :class:`ValidationFailed` (422, with the report), nothing written;
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

from iopgraph.backend import Backend
from iopgraph.errors import ValidationFailed
from iopgraph.stewardship.changes import Change
from iopgraph.stewardship.checks import ChangeCheck, Checker
from iopgraph.stewardship.provenance import activity_quads

log = logging.getLogger("iopgraph.writes")

Plan = Callable[[ox.Store], Change]


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
            "validation": None if self.check is None else {
                "mode": self.check.mode, "focusNodes": self.check.focus_nodes,
                "warnings": len(self.check.report.warnings),
            },
        }


WriteListener = Callable[[WriteOutcome], Awaitable[None] | None]


async def read_source(backend: Backend) -> ox.Store:
    """A store to read the current state from: the backend's own, or an in-memory copy of its quads."""
    store = getattr(backend, "store", None)
    if isinstance(store, ox.Store):
        return store
    copy = ox.Store()
    quads = await backend.quads()
    await anyio.to_thread.run_sync(lambda: copy.bulk_extend(quads))
    return copy


class WriteGate:
    """Serialises, validates, applies and records writes to one backend."""

    def __init__(self, backend: Backend, checker: Checker, mode: str = "neighbourhood") -> None:
        self.backend = backend
        self.checker = checker
        self.mode = mode
        self.listeners: list[WriteListener] = []
        self._lock = asyncio.Lock()

    async def write(self, plan: Plan, agent: str, dry_run: bool = False) -> WriteOutcome:
        """Apply ``plan`` if it introduces no SHACL violation; raises ValidationFailed (422) otherwise."""
        async with self._lock:
            started = datetime.now(UTC)
            source = await read_source(self.backend)
            change = await anyio.to_thread.run_sync(lambda: plan(source))
            change.check_writable()
            if change.is_empty:
                return WriteOutcome(change, None, None, started)
            version = self.backend.version
            check = await anyio.to_thread.run_sync(
                lambda: self.checker.check_change(source, change, self.mode, version))
            if not check.accepted:
                n = len(check.report.violations)
                raise ValidationFailed(
                    f"the write would introduce {n} SHACL violation{'s' if n != 1 else ''}; nothing was changed",
                    check.report.to_json(),
                )
            if dry_run:
                return WriteOutcome(change, check, None, started)
            activity = activity_quads(change, agent, started)
            await self.backend.replace_quads(change.remove, [*change.add, *activity.quads])
            self.checker.remember(self.backend.version, check)
            outcome = WriteOutcome(change, check, activity.iri.value, datetime.now(UTC))
            log.info("write by %s: %s %s (+%d -%d)", agent, change.operation, change.graphs,
                     len(change.add), len(change.remove))
        for listener in self.listeners:
            try:
                result = listener(outcome)
                if result is not None:
                    await result
            except Exception:  # a feed that fails must not turn an accepted write into an error
                log.exception("a write listener failed")
        return outcome
