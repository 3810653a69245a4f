"""What several processes over one remote store share: its write lease and its logs (LDES).

An embedded store is written by this process alone, under its own lock, so both are "nothing" there.
This module does not import :mod:`iopgraph.store.remote` (nor httpx): a service on the embedded store
never loads them (``tests/test_startup_imports.py``). A backend can only be a
:class:`~iopgraph.store.remote.RemoteBackend` once that module is loaded, which is what the checks ask.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from iopgraph.store.remote import RemoteBackend

_REMOTE_MODULE = "iopgraph.store.remote"


def _as_remote(backend: object) -> RemoteBackend | None:
    module = sys.modules.get(_REMOTE_MODULE)
    if module is None or not isinstance(backend, module.RemoteBackend):
        return None
    return cast("RemoteBackend", backend)


def write_lease(backend: object, wait: float | None) -> contextlib.AbstractAsyncContextManager[object]:
    """The store's write lease when ``backend`` is a remote store (shared by several processes), else nothing
    (an embedded store is written by this process alone, under its own lock)."""
    remote = _as_remote(backend)
    if remote is not None:
        return remote.lease(wait)
    return contextlib.nullcontext()


def shared_log_store(backend: object) -> RemoteBackend | None:
    """The remote store that keeps the shared logs (LDES) of every process over it: ``backend`` when it is a
    remote store that takes writes, else None (the process keeps its logs itself)."""
    remote = _as_remote(backend)
    return remote if remote is not None and remote.update_url else None
