"""The ordered members of a large collection, kept per store version: page 2 does not sort again.

A collection of more than :data:`~iopgraph.views.collections.MAX_LIMIT` members is ordered from
facts of every member (labels, numbers, report order): on the synthetic 1M graph 40,000
initiatives, 2-3 s in the server process, and every page of ``/api/initiatives`` or of the HTML list
needs the whole order. The order is a pure function of the store's content and the filters, so it is
kept here, keyed on the backend's version (which every accepted write changes: an older entry is
never read again and ages out). Smaller collections are ordered from the page's own triples and are
not kept (cheap, and the uncached figures of ``benchmarks/`` stay uncached).

    orders = orders_of(backend)
    members = orders.get(key) or orders.put(key, await compute())
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Hashable

import pyoxigraph as ox

#: At most this many orders per backend, and this many members in all of them (~100 bytes each).
MAX_ENTRIES = 32
MAX_MEMBERS = 1_000_000


class MemberOrders:
    """An LRU of ordered member lists, bounded in entries and in members."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_members: int = MAX_MEMBERS) -> None:
        self.max_entries = max_entries
        self.max_members = max_members
        self._entries: OrderedDict[Hashable, list[ox.NamedNode]] = OrderedDict()
        self._members = 0

    def get(self, key: Hashable) -> list[ox.NamedNode] | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: Hashable, members: list[ox.NamedNode]) -> list[ox.NamedNode]:
        if len(members) > self.max_members:
            return members  # larger than the whole budget: not kept
        old = self._entries.pop(key, None)
        if old is not None:
            self._members -= len(old)
        self._entries[key] = members
        self._members += len(members)
        while len(self._entries) > self.max_entries or self._members > self.max_members:
            _, dropped = self._entries.popitem(last=False)
            self._members -= len(dropped)
        return members

    def __len__(self) -> int:
        return len(self._entries)


_BY_BACKEND: weakref.WeakKeyDictionary[object, MemberOrders] = weakref.WeakKeyDictionary()


def orders_of(backend: object) -> MemberOrders:
    """The orders kept for ``backend`` (made on first use; gone with the backend)."""
    found = _BY_BACKEND.get(backend)
    if found is None:
        found = _BY_BACKEND[backend] = MemberOrders()
    return found
