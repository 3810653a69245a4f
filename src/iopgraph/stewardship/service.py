"""The stewardship services of one app: tokens, checker and write gate, made at start-up and kept on ``app.state``.

    steward = stewardship(request.app)
    agent = steward.tokens.authenticate(request.headers.get("authorization"))
    outcome = await steward.gate.write(plan, agent, client=request)

:func:`start_stewardship` runs in the app's lifespan, after the backend is open,
so a broken ``shapes/`` (or ``--shapes`` file) stops the start with its error
instead of surfacing as a 500 on the first validation. The log says which shapes
writes and ``/api/validate`` check against.

Uploads are parsed and validated in isolated workers (:mod:`iopgraph.stewardship.jobs`):
this process only screens them (:func:`iopgraph.core.rdfio.screen`) and reads back JSON
and N-Triples.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio.to_thread
from fastapi import FastAPI

from iopgraph.core.settings import Settings
from iopgraph.stewardship.auth import WriteTokens
from iopgraph.stewardship.checks import Checker, checker_spec, describe_spec
from iopgraph.stewardship.gate import Disconnected, WriteGate
from iopgraph.stewardship.isolation import Limits, report_from, run_job, screen_upload
from iopgraph.stewardship.jobs import UPLOAD_GRAPH
from iopgraph.stewardship.uploads import RdfUpload
from iopgraph.validation import ValidationReport

__all__ = ["UPLOAD_GRAPH", "Stewardship", "start_stewardship", "stewardship"]

log = logging.getLogger("iopgraph")


@dataclass
class Stewardship:
    settings: Settings
    tokens: WriteTokens
    checker: Checker
    gate: WriteGate
    limits: Limits

    async def validate_upload(
        self, upload: RdfUpload, with_current: bool, disconnected: Disconnected | None = None
    ) -> tuple[ValidationReport, str, int]:
        """(report, mode, triples) for an upload: alone (with the ontology), or as a dry-run write into the
        current graph. Parsed and validated in an isolated worker with IOPGRAPH_VALIDATION_TIMEOUT."""
        await screen_upload(upload, self.limits)
        args = {
            "checker": self.limits.checker,
            "syntax": upload.syntax.name,
            "source": upload.source,
            "with_current": with_current,
            "mode": self.gate.mode,
            "max_quads": self.limits.max_quads,
            "max_depth": self.limits.max_depth,
        }
        header, body = await run_job(
            self.gate.backend,
            "validate-upload",
            args,
            upload.data,
            self.limits.validation_timeout,
            "validation",
            "IOPGRAPH_VALIDATION_TIMEOUT",
            disconnected,
        )
        report = await anyio.to_thread.run_sync(report_from, header.get("report") or {}, body)
        return report, str(header.get("mode")), int(header.get("triples", 0))


def limits_for(settings: Settings) -> Limits:
    spec = checker_spec(settings.root, settings.shapes, bool(settings.sources))
    return Limits(
        spec,
        settings.validation_timeout,
        settings.write_timeout,
        settings.max_upload_quads,
        settings.max_rdf_depth,
    )


async def start_stewardship(app: FastAPI) -> Stewardship:
    """Make the app's stewardship services (in the lifespan, after the backend is open)."""
    settings: Settings = app.state.settings
    limits = limits_for(settings)
    checker = await anyio.to_thread.run_sync(Checker.from_spec, limits.checker)
    gate = WriteGate(app.state.backend, checker, settings.write_validation, limits)
    found = Stewardship(settings, WriteTokens.from_settings(settings), checker, gate, limits)
    app.state.stewardship = found
    log.info("writes and /api/validate check against %s", describe_spec(limits.checker))
    return found


def stewardship(app: FastAPI) -> Stewardship:
    """The app's stewardship services (made at start-up by :func:`start_stewardship`)."""
    found: Stewardship | None = getattr(app.state, "stewardship", None)
    if found is None:
        raise RuntimeError("the stewardship services are made in the app's lifespan; start the app first")
    return found
