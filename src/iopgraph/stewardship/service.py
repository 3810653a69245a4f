"""The stewardship services of one app: tokens, checker and write gate, made once and kept on ``app.state``.

    steward = stewardship(request.app)
    agent = steward.tokens.authenticate(request.headers.get("authorization"))
    outcome = await steward.gate.write(plan, agent)

Made on first use (after the lifespan opened the backend), so the app factory
needs no extra start-up step; a broken shapes folder shows up as a 500 on the
first validation, and in `iopgraph validate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio.to_thread
import pyoxigraph as ox
from fastapi import FastAPI

from iopgraph.config import Settings
from iopgraph.namespaces import GRAPH
from iopgraph.stewardship.auth import WriteTokens
from iopgraph.stewardship.changes import Change, in_graph
from iopgraph.stewardship.checks import Checker
from iopgraph.stewardship.gate import WriteGate, WriteOutcome, read_source
from iopgraph.stewardship.provenance import changed_resources
from iopgraph.validation import ValidationReport

#: Where an upload is imagined to go when it is validated together with the current graph.
UPLOAD_GRAPH = ox.NamedNode(GRAPH + "validation/upload")


@dataclass
class Stewardship:
    settings: Settings
    tokens: WriteTokens
    checker: Checker
    gate: WriteGate

    async def validate_upload(self, quads: list[ox.Quad], with_current: bool) -> tuple[ValidationReport, str]:
        """The report for an upload: on its own (with the ontology), or as a dry-run write into the current graph."""
        if not with_current:
            report = await anyio.to_thread.run_sync(lambda: self.checker.validate_upload(quads))
            return report, "upload"
        source = await read_source(self.gate.backend)
        change = Change([], in_graph(quads, UPLOAD_GRAPH), "validate").normalised(source)
        check = await anyio.to_thread.run_sync(
            lambda: self.checker.check_change(source, change, self.gate.mode, None))
        return check.report, f"with-current ({check.mode})"


def stewardship(app: FastAPI) -> Stewardship:
    """The app's stewardship services (made on first use)."""
    found = getattr(app.state, "stewardship", None)
    if found is None:
        settings: Settings = app.state.settings
        checker = Checker.from_root(settings.root)
        gate = WriteGate(app.state.backend, checker, settings.write_validation)
        found = Stewardship(settings, WriteTokens.from_settings(settings), checker, gate)
        _connect_feed(app, gate)
        _connect_search(app, gate)
        app.state.stewardship = found
    return found


def _connect_feed(app: FastAPI, gate: WriteGate) -> None:
    """Each accepted write appends a new member version of every resource it changed to the LDES feed."""
    from iopgraph.routers.ldes import ldes_log
    from iopgraph.views.ldes import record_versions

    async def to_feed(outcome: WriteOutcome) -> None:
        resources = changed_resources(outcome.change)
        if resources:
            await record_versions(app.state.backend, ldes_log(app), resources)

    gate.listeners.append(to_feed)


def _connect_search(app: FastAPI, gate: WriteGate) -> None:
    """Each accepted write re-indexes the resources it changed, before the write is acknowledged."""

    async def to_index(outcome: WriteOutcome) -> None:
        search = getattr(app.state, "search", None)
        if search is not None:
            await search.refresh([r.value for r in changed_resources(outcome.change)])

    gate.listeners.append(to_index)
