"""A request's priority (urgent, high, medium, low) orders runs waiting for a slot.

`PrioritySlots` lets at most `limit` runs go at once; when a slot frees up, the
most urgent waiter gets it, and among equals the one that came first.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

PRIORITY_RANK: Final = {"urgent": 0, "high": 1, "medium": 2, "low": 3}


def rank(priority: str) -> int:
    return PRIORITY_RANK.get(priority, PRIORITY_RANK["medium"])


class PrioritySlots:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self.active = 0
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for _, _, future in self._waiting if not future.done())

    async def acquire(self, priority: str = "medium") -> None:
        if self.active < self.limit and not self.waiting:
            self.active += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (rank(priority), next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            # Handed a slot in the same moment it was cancelled: pass it on.
            if future.done() and not future.cancelled():
                self.release()
            else:
                future.cancel()
            raise

    def release(self) -> None:
        while self._waiting:
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)  # the slot goes straight to this waiter
                return
        self.active -= 1

    @asynccontextmanager
    async def slot(self, priority: str = "medium") -> AsyncIterator[None]:
        await self.acquire(priority)
        try:
            yield
        finally:
            self.release()
