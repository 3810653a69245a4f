"""The C allocator's settings for the server process (glibc's malloc; elsewhere nothing is done)."""

from __future__ import annotations

import contextlib
import ctypes

#: ``mallopt`` parameter number of glibc's M_ARENA_MAX (malloc.h).
_M_ARENA_MAX = -8


def limit_arenas(count: int = 2) -> bool:
    """Let glibc's malloc keep at most ``count`` arenas; True if it was set.

    Each thread that allocates gets an arena of its own by default, up to eight per core: the server's
    threads (RocksDB's, the views' thread pool) left ~30 MB of half-empty arenas in the server process
    at 1M triples (153 → 122 MB private). Call it before threads start; as ``MALLOC_ARENA_MAX=2``
    would, without the environment variable."""
    with contextlib.suppress(OSError, AttributeError):  # no mallopt: not glibc
        return bool(ctypes.CDLL(None).mallopt(_M_ARENA_MAX, count))  # the process's own symbols (libc)
    return False
