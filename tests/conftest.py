"""Shared fixtures: the project folder, the report text, and a built copy of the shipped graph."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from requirements_support import REPORT, missing_report_reason, report_required

ROOT = Path(__file__).resolve().parents[1]


def normalise_report_text(text: str) -> str:
    """The report as plain text: markdown and footnote markers dropped, whitespace collapsed."""
    text = re.sub(r"<sup>\s*\d+\s*</sup>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("**", "").replace("*", "").replace("\\", "")
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text)


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


# Fixtures of the linked-data view tests (an app over a small fixture graph).
# The live service of the conformance tests (tests/conformance/).
from conformance_support import fresh_service, live_service  # noqa: E402, F401
from ldsupport import ld_client, ld_settings, ld_store  # noqa: E402, F401

# Figures of the reliability runs (load, faults, hostile inputs, fuzzing), printed at the end of the session.
from reliability_support import pytest_terminal_summary  # noqa: E402, F401


@pytest.fixture(scope="session")
def shipped_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real `iopgraph serve` on the shipped graph (random port, no IOPGRAPH_BASE_URL), for the
    read-only journeys in tests/journeys/."""
    from journey_support import shipped_server

    with shipped_server(tmp_path_factory.mktemp("journey-server")) as base:
        yield base
