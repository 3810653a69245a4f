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


def release_free_memory() -> bool:
    """Give the pages of memory freed so far back to the system (glibc's ``malloc_trim(0)``); True if any.

    Loading a snapshot in chunks frees each chunk's Python objects, but their pages stay with the
    allocator: at 100,000 quads the zygote kept ~23 MB more than the store itself (~9 MB at 1M), and every
    worker forked from it inherited them."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        return bool(ctypes.CDLL(None).malloc_trim(0))
    return False
