"""Fixtures of the journey tests: one real `iopgraph serve` on the shipped graph for the read-only journeys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from journey_support import shipped_server


@pytest.fixture(scope="session")
def shipped_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real `iopgraph serve` on the shipped graph (random port, no IOPGRAPH_BASE_URL); read-only."""
    with shipped_server(tmp_path_factory.mktemp("journey-server")) as base:
        yield base
