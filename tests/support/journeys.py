"""The real service the journey tests walk through: `iopgraph serve` on the shipped graph.

Each journey (researcher, harvester, steward, crawler, fresh clone) drives a real
`iopgraph serve` process with real clients, the way a new user meets it: the
shipped graph, a random free port on 127.0.0.1 and **no** ``IOPGRAPH_BASE_URL``,
so every machine link must be derived from the address actually served.

    with shipped_server(tmp_path) as base:     # base = "http://127.0.0.1:<port>"
        ...

The store and the build folder live in ``folder`` (never the checkout's var/), so
journeys can run beside a developer's `make run`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from support.paths import ROOT
from support.server import serve

WEB_BIN = ROOT / "web" / "node_modules" / ".bin"


@contextmanager
def shipped_server(folder: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """The base URL of `iopgraph serve` (shipped graph, random port, base URL derived) until the block ends."""
    settings = {
        "IOPGRAPH_STORE_PATH": str(folder / "store"),
        "IOPGRAPH_BUILD_DIR": str(folder / "build"),
        "IOPGRAPH_QUERY_WORKERS": "1",
        **(env or {}),
    }
    assert "IOPGRAPH_BASE_URL" not in settings, "journeys run without IOPGRAPH_BASE_URL"
    with serve([], settings, timeout=120, folder=folder) as base:
        yield base


def under(base: str, url: str) -> bool:
    """True when ``url`` is on this server (same scheme, host and port as ``base``)."""
    a, b = urlsplit(base), urlsplit(url)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def local_only_loader(base: str) -> Any:
    """A PyLD document loader that fetches only from ``base`` and refuses any other URL (no remote contexts)."""
    from pyld.jsonld import JsonLdError  # type: ignore[import-untyped]

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if not under(base, url):
            raise JsonLdError(
                f"refused to load {url}: not under {base}",
                "jsonld.LoadDocumentError",
                code="loading document failed",
            )
        response = httpx.get(url, headers={"Accept": "application/ld+json"}, timeout=30)
        if response.status_code != 200:
            raise JsonLdError(
                f"{url}: HTTP {response.status_code}",
                "jsonld.LoadDocumentError",
                code="loading document failed",
            )
        return {"contextUrl": None, "documentUrl": url, "document": json.loads(response.content)}

    return load
