"""What was made from one object, kept while that very object is in use.

Project contexts are shared and never changed in place, so an index made from one of
their lists (the characters' names, the relationships' ends) stays right for as long
as the same list is handed out. Entries are keyed by the object's identity and hold
the object, so its id cannot be reused by another while the entry lives; the least
recently made are dropped first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class HeldByIdentity(Generic[V]):
    def __init__(self, make: Callable[[Any], V], kept: int = 8) -> None:
        self._make = make
        self._kept = kept
        self._held: OrderedDict[int, tuple[Any, int, V]] = OrderedDict()

    def get(self, source: Any) -> V:
        """What `make` made of `source`, made again if `source` grew since (a caller
        that appends to a shared list anyway)."""
        size = len(source) if hasattr(source, "__len__") else 0
        held = self._held.get(id(source))
        if held is not None and held[0] is source and held[1] == size:
            return held[2]
        made = self._make(source)
        self._held[id(source)] = (source, size, made)
        while len(self._held) > self._kept:
            self._held.popitem(last=False)
        return made
