"""A bounded load generator on loopback: asyncio + httpx, a fixed concurrency, a request budget and a duration.

    result = asyncio.run(run_load(url, requests, concurrency=32, seconds=60, budget=200_000))
    result.summary()   # {"requests": ..., "errors_5xx": ..., "p50_ms": ..., "p99_ms": ...}

Every loop is bounded twice (requests and time) and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx


@dataclass(frozen=True)
class Request:
    """One request of the mix; ``ok`` are the statuses that count as served."""

    kind: str
    method: str
    path: str
    params: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    ok: tuple[int, ...] = (200,)
    data: dict[str, str] | None = None  # a form body (POST)


@dataclass
class LoadResult:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    connection_errors: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def errors_5xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 1),
            "requests_per_s": round(self.requests / self.seconds, 1) if self.seconds else 0,
            "errors_5xx": self.errors_5xx,
            "connection_errors": self.connection_errors,
            "unexpected_status": len(self.unexpected),
            "p50_ms": round(self.percentile(0.50) * 1000, 1),
            "p99_ms": round(self.percentile(0.99) * 1000, 1),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1) if self.latencies else 0,
        }


async def run_load(
    base_url: str,
    mix: list[Request] | Callable[[int], Request],
    concurrency: int,
    seconds: float,
    budget: int,
    on_response: Callable[[Request, httpx.Response], None] | None = None,
) -> LoadResult:
    """Send ``mix`` from ``concurrency`` clients until ``seconds`` pass or ``budget`` requests are sent.

    ``mix`` is a list (sent round-robin) or a function of the request number.
    """
    assert urlsplit(base_url).hostname == "127.0.0.1", "load is only ever sent to loopback"
    result = LoadResult()
    numbers = itertools.count()
    pick = mix if callable(mix) else (lambda n: mix[n % len(mix)])
    sent = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    started = time.monotonic()
    deadline = started + seconds

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as client:

        async def worker() -> None:
            nonlocal sent
            while time.monotonic() < deadline and sent < budget:
                sent += 1
                request = pick(next(numbers))
                t0 = time.perf_counter()
                try:
                    response = await client.request(
                        request.method,
                        request.path,
                        params=request.params,
                        headers=request.headers,
                        data=request.data,
                    )
                except httpx.TransportError as exc:
                    result.connection_errors += 1
                    result.unexpected.append(f"{request.kind} {request.path}: {type(exc).__name__}")
                    continue
                result.latencies.append(time.perf_counter() - t0)
                result.statuses[response.status_code] += 1
                result.by_kind[request.kind] += 1
                if response.status_code not in request.ok:
                    result.unexpected.append(
                        f"{request.kind} {request.path} {request.params}: "
                        f"{response.status_code} {response.text[:200]}"
                    )
                if on_response is not None:
                    on_response(request, response)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.monotonic() - started
    return result
