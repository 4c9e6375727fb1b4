"""One object per running event loop, made on first use.

The event writer, the queued-run poll and the cancel listener each serve every run of
one loop; a Celery task's asyncio.run, a test's loop or a thread's loop gets its own.
The loops are weak keys, so a closed loop's object goes with it (the object last
handed out is also held until another loop asks). The last loop asked about is
remembered: nearly every call comes from the same loop, and the weak dictionary's
lookup showed in profiles of the event writer.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary()
        )
        # Replaced whole, never changed in place: a read from another thread sees a pair.
        self._last: tuple[weakref.ref[asyncio.AbstractEventLoop], T] | None = None

    def get(self) -> T:
        """The running loop's object."""
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0]() is loop:
            return last[1]
        if loop not in self._by_loop:
            self._by_loop[loop] = self._factory()
        found = self._by_loop[loop]
        self._last = (weakref.ref(loop), found)
        return found
