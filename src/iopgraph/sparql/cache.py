"""An in-memory LRU cache of serialised query results, bounded in entries and bytes.

Keys start with the store version, so a write makes every older entry
unreachable (they age out of the LRU); nothing is ever served stale. The
results' ETags are made from the same key by :mod:`iopgraph.http.conditional`.

    cache = ResultCache(max_entries=512, max_bytes=64_000_000)
    cache.put(key, outcome); cache.get(key)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from iopgraph.store.engine import Outcome


class ResultCache:
    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, Outcome] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Outcome | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return found

    def put(self, key: Hashable, outcome: Outcome) -> None:
        size = len(outcome.body)
        if self.max_entries <= 0 or size > self.max_bytes // 4:
            return  # results too large to be worth keeping
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._entries[key] = outcome
        self._bytes += size
        while self._entries and (len(self._entries) > self.max_entries or self._bytes > self.max_bytes):
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted.body)

    def __len__(self) -> int:
        return len(self._entries)
