"""After-commit work that a caller may hold and run later, off its own critical path.

A saved story row brings after-commit work: its knowledge-graph sync (brain.signals)
and its project's continuity re-check (screenplay.signals). An admin save wants them at
once. A run storing its results does not: they cost about 30 ms on a small project,
and the run's answer would wait for them. So that caller wraps its transaction in
`held_after_commit()`, and it runs what was held in the background after it has
answered (brain.store.DjangoGraphStore). Reads of the project context are never held:
its cache is dropped on commit as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

Hook = Callable[[], None]

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
        hook()
    else:
        held.append(hook)


def run_held(hooks: list[Hook]) -> None:
    """Run held hooks in order. One failing is logged and does not stop the others: the
    rows are saved, and each hook's own repair applies (`brain_sync`, a re-check)."""
    for hook in hooks:
        try:
            hook()
        except Exception:
            logger.exception("After-commit work %r failed; the saved rows are kept.", hook)
