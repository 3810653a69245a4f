"""The state of one running app: one immutable :class:`AppContext`, built in the lifespan.

``create_app`` (``app.py``) builds it once the store is open, before the first
request, and keeps it as ``app.state.context``; routers reach its parts through
the typed providers of :mod:`iopgraph.http.providers`. Nothing is created on a
first request but the workbench's forms (a :class:`~iopgraph.http.deferred.Deferred`: few
requests need them, and making them cost every start ~0.25 s), and nothing reads
``app.state`` but those providers.

    context = request.app.state.context        # (only in iopgraph.http.providers)
    context.backend, context.sparql, context.stewardship.gate, context.ldes, ...
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from starlette.templating import Jinja2Templates

from iopgraph.core.settings import Settings
from iopgraph.http.deferred import Deferred
from iopgraph.http.observability import Metrics
from iopgraph.http.representation_cache import RepresentationCache
from iopgraph.search.service import SearchService
from iopgraph.sparql.service import SparqlService
from iopgraph.stewardship.service import Stewardship
from iopgraph.store.backend import Backend
from iopgraph.views.ldes import EventLog
from iopgraph.workbench.formmodel import FormModels
from iopgraph.workbench.proposals import ProposalBox
from iopgraph.workbench.sessions import SessionStore

#: Built dumps by (backend version, file name); older versions are dropped as new ones are built.
DumpCache = dict[tuple[str, str], bytes]


@dataclass(frozen=True)
class AppContext:
    """Everything one running app holds, made in its lifespan (the fields are never reassigned)."""

    settings: Settings
    backend: Backend
    sparql: SparqlService
    stewardship: Stewardship
    search: SearchService
    ldes: EventLog  # the LDES member log, beside the store
    templates: Jinja2Templates
    metrics: Metrics
    sessions: SessionStore  # the workbench's sign-in sessions
    forms: Deferred[FormModels]  # the workbench's forms, from the project's shapes (made on first use)
    proposals: ProposalBox  # the workbench's proposals, beside the store
    accept_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one proposal accepted at a time
    dumps: DumpCache = field(default_factory=dict)
    representations: RepresentationCache | None = None  # rendered views, until the next write (None: off)


def beside_store(settings: Settings, suffix: str) -> Path:
    """A file kept next to the store (``var/store.<suffix>``): the event log, the proposals."""
    path = settings.resolved_store_path
    return path.parent / f"{path.name}.{suffix}"


def event_log(settings: Settings) -> EventLog:
    return EventLog(beside_store(settings, "ldes.jsonl"), settings.ldes_page_size)


def proposal_box(settings: Settings) -> ProposalBox:
    return ProposalBox(beside_store(settings, "proposals.sqlite3"))
