"""Shared fixtures: the project folder, the report text, a built copy of the shipped graph, and the
fixtures of tests/support/ (the live server, the linked-data app, the conformance service)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

# The live service of the conformance tests (tests/conformance/).
from support.conformance import fresh_service, live_service  # noqa: F401

# Fixtures of the linked-data view tests (an app over a small fixture graph).
from support.ldviews import ld_client, ld_settings, ld_store  # noqa: F401
from support.paths import ROOT

# Figures of the reliability runs (load, faults, hostile inputs, fuzzing), printed at the end of the session.
from support.reliability import pytest_terminal_summary  # noqa: F401
from support.report import REPORT
from support.requirements import missing_report_reason, report_required

# A factory of real `iopgraph serve` processes, stopped at teardown.
from support.server import live_server  # noqa: F401


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def report_text() -> str:
    if not REPORT.is_file():
        if report_required():
            pytest.fail(missing_report_reason())
        pytest.skip(missing_report_reason())
    return REPORT.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def shipped_store() -> ox.Store:
    """An in-memory store holding the shipped ontology and data, one named graph per file."""
    from iopgraph.core.sources import graph_sources
    from iopgraph.store.local import load_sources

    store = ox.Store()
    load_sources(store, graph_sources(ROOT))
    return store


@pytest.fixture(scope="session")
def shipped_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real `iopgraph serve` on the shipped graph (random port, no IOPGRAPH_BASE_URL), for the
    read-only journeys in tests/journeys/."""
    from support.journeys import shipped_server

    with shipped_server(tmp_path_factory.mktemp("journey-server")) as base:
        yield base
