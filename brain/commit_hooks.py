"""After-commit work that a caller may hold and run later, off its own critical path.

A saved story row brings after-commit work: its knowledge-graph sync (brain.signals)
and its project's continuity re-check (screenplay.signals). An admin save wants them at
once. A run storing its results does not: they cost about 30 ms on a small project,
and the run's answer would wait for them. So that caller wraps its transaction in
`held_after_commit()`, and it runs what was held after it has answered, from its event
loop (brain.store.DjangoGraphStore). Reads of the project context are never held: its
cache is dropped on commit as before.

Each hook has a synchronous form (`run`, at commit) and an asynchronous one (`arun`,
for held work). The graph sync's synchronous form blocks a thread on the caller's event
loop (brain.graph.sync.run_blocking); run from a background task, that thread would
wait forever if the loop stopped first, and it is the thread every database call of
the process goes through. Its asynchronous form is a coroutine of the loop instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

logger = logging.getLogger(__name__)


class Hook(Protocol):
    def run(self) -> None: ...

    async def arun(self) -> None: ...


_state = threading.local()


@contextmanager
def held_after_commit() -> Iterator[list[Hook]]:
    """While this block runs (on this thread), hooks that commits hand to
    `run_or_hold` are collected in the yielded list instead of run."""
    held: list[Hook] = []
    outer = getattr(_state, "held", None)
    _state.held = held
    try:
        yield held
    finally:
        _state.held = outer


def run_or_hold(hook: Hook) -> None:
    """Run `hook` now, or keep it for the caller of an enclosing `held_after_commit()`."""
    held: list[Hook] | None = getattr(_state, "held", None)
    if held is None:
        hook.run()
    else:
        held.append(hook)


async def run_held_async(hooks: list[Hook]) -> None:
    """Run held hooks in order, from the caller's event loop. One failing is logged and
    does not stop the others: the rows are saved, and each hook's own repair applies
    (`brain_sync`, a re-check)."""
    for hook in hooks:
        try:
            await hook.arun()
        except Exception:
            logger.exception("After-commit work %r failed; the saved rows are kept.", hook)
