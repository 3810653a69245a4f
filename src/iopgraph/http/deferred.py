"""A part of the app made on its first use, in a thread, once: not at every start.

For what few requests need and costs start-up time: the workbench's forms parse the project's
shapes and ontology with rdflib (~0.25 s), which every restart paid before its first answer.

    forms = Deferred(lambda: FormModels.from_root(root))
    models = await forms.get()     # the first caller makes it (off the event loop); the others wait
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

import anyio.to_thread

T = TypeVar("T")


class Deferred(Generic[T]):
    """``make()`` run once, by the first :meth:`get`, in a worker thread; a failure is raised to that
    caller and the next one tries again."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._value: T | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> T:
        if self._value is None:
            async with self._lock:
                if self._value is None:
                    self._value = await anyio.to_thread.run_sync(self._make)
        return self._value

    @property
    def made(self) -> bool:
        return self._value is not None
