"""The stewardship services of one app: tokens, checker and write gate, made at start-up.

    steward = await start_stewardship(settings, backend)   # in the app's lifespan (its AppContext keeps it)
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

from iopgraph.core.namespaces import UPLOAD_GRAPH
from iopgraph.core.settings import Settings
from iopgraph.stewardship.auth import WriteTokens
from iopgraph.stewardship.checks import Checker, checker_spec, describe_spec
from iopgraph.stewardship.gate import Disconnected, WriteGate
from iopgraph.stewardship.isolation import Limits, report_from, run_job, screen_upload, upload_reads
from iopgraph.stewardship.uploads import RdfUpload
from iopgraph.store.backend import Backend
from iopgraph.validation import ValidationReport

__all__ = ["UPLOAD_GRAPH", "Stewardship", "start_stewardship"]

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
            upload_reads(with_current),
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


async def start_stewardship(settings: Settings, backend: Backend) -> Stewardship:
    """Make the app's stewardship services (in the lifespan, after the backend is open).

    Parsing the shapes happens here: a broken ``shapes/`` raises now, and the service does not start."""
    limits = limits_for(settings)
    checker = await anyio.to_thread.run_sync(Checker.from_spec, limits.checker)
    gate = WriteGate(backend, checker, settings.write_validation, limits)
    log.info("writes and /api/validate check against %s", describe_spec(limits.checker))
    return Stewardship(settings, WriteTokens.from_settings(settings), checker, gate, limits)
