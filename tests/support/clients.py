"""The one client factory: an ``httpx.Client`` on a server's base URL, with the tests' timeout.

with client(base, headers={"Accept": "text/html"}) as c:
    c.get("/")
"""

from __future__ import annotations

from typing import Any

import httpx

#: Generous: the machine running the suite may be loaded (tests never measure speed).
TIMEOUT = 60.0


def http_client(base_url: str = "", *, timeout: float = TIMEOUT, **options: Any) -> httpx.Client:
    """``httpx.Client(base_url=..., timeout=...)``; ``options`` (headers, cookies, ...) go to httpx."""
    return httpx.Client(base_url=base_url, timeout=timeout, **options)
