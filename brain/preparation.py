"""Brain documents made after a run has answered: a tracked background step.

A run's result is its report and the rows it stored (characters, episodes, scenes and
their graph nodes). Their brain documents (metadata, embeddings, relationship
proposals: the pipeline of spec 3.2, two LLM calls per entity) are made afterwards by
a task of the same process, registered under the run's id, so the run's wall time is
not theirs. `brain_documents_ready(execution_id)` waits for one run's documents and
`all_brain_documents_ready()` for every preparation of this event loop (shutdown,
tests, benchmarks). The run's row says where they are (brain.store.DOCUMENTS_PARAM); a
failure is logged and marked there, and `manage.py brain_prepare` can remake them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from brain.pipeline import PipelineResult
from engine.per_loop import PerLoop

logger = logging.getLogger(__name__)

# Preparations still running, by run id (at most one per run: a run stores once).
_PREPARING: dict[str, asyncio.Task[list[PipelineResult]]] = {}
# Runs whose documents one event loop makes at once; the others wait their turn, not
# yet started. Under sustained load runs finish faster than their documents are made
# (one embedding thread); unbounded, every waiting run held its entities' contexts,
# each a copy of the whole project, and memory grew with the backlog.
RUNS_AT_ONCE = 4
_turns: PerLoop[asyncio.Semaphore] = PerLoop(lambda: asyncio.Semaphore(RUNS_AT_ONCE))
# Runs whose preparation waits for a turn, not yet started: the backlog that new runs
# wait on (executions.services; ALADDIN_MAX_DOCUMENT_BACKLOG).
_WAITING: set[str] = set()
# Those new runs, woken whenever the backlog shrinks; each on its own loop's thread.
_BACKLOG_WATCHERS: set[asyncio.Future[None]] = set()


def prepare_in_background(
    execution_id: str,
    work: Coroutine[Any, Any, list[PipelineResult]],
    *,
    first: Coroutine[Any, Any, None] | None = None,
) -> asyncio.Task[list[PipelineResult]]:
    """Run `work` as a task of the running loop, tracked until it ends; at most
    RUNS_AT_ONCE runs' preparations make progress at a time. `first` (the run's held
    graph sync and continuity re-check) runs before it, without waiting for a turn:
    short, and the documents read the graph it writes."""
    task = asyncio.get_running_loop().create_task(
        _in_turn(execution_id, work, first), name=f"brain-documents-{execution_id}"
    )
    _PREPARING[execution_id] = task
    _WAITING.add(execution_id)
    task.add_done_callback(lambda done: _forget(execution_id, done))
    return task


async def _in_turn(
    execution_id: str,
    work: Coroutine[Any, Any, list[PipelineResult]],
    first: Coroutine[Any, Any, None] | None,
) -> list[PipelineResult]:
    try:
        if first is not None:
            await first
        async with _turns.get():
            _no_longer_waiting(execution_id)
            return await work
    finally:
        _no_longer_waiting(execution_id)
        # Never started when cancelled while waiting: no "never awaited" warning.
        work.close()
        if first is not None:
            first.close()


def _forget(execution_id: str, task: asyncio.Task[list[PipelineResult]]) -> None:
    if _PREPARING.get(execution_id) is task:
        del _PREPARING[execution_id]
    if not task.cancelled() and task.exception() is not None:
        logger.error(
            "Brain documents of run %s failed; `brain_prepare` can remake them.",
            execution_id,
            exc_info=task.exception(),
        )


def preparing() -> list[str]:
    """The runs whose documents this process is still preparing."""
    return list(_PREPARING)


def waiting_their_turn() -> int:
    """How many runs' documents wait for a turn, not started yet."""
    return len(_WAITING)


async def backlog_within(limit: int) -> None:
    """Return once at most `limit` runs' documents wait for a turn (counted across the
    process: preparations may run on other threads' loops)."""
    while True:
        shrunk = asyncio.get_running_loop().create_future()
        _BACKLOG_WATCHERS.add(shrunk)  # before counting: a shrink in between wakes it
        try:
            if len(_WAITING) <= limit:
                return
            await shrunk
        finally:
            _BACKLOG_WATCHERS.discard(shrunk)


def _no_longer_waiting(execution_id: str) -> None:
    if execution_id not in _WAITING:
        return
    _WAITING.discard(execution_id)
    for watcher in list(_BACKLOG_WATCHERS):
        try:
            watcher.get_loop().call_soon_threadsafe(_wake, watcher)
        except RuntimeError:  # its loop was closed under it: nobody waits there
            _BACKLOG_WATCHERS.discard(watcher)


def _wake(watcher: asyncio.Future[None]) -> None:
    if not watcher.done():
        watcher.set_result(None)


async def brain_documents_ready(execution_id: str) -> list[PipelineResult]:
    """Wait for one run's documents; its pipeline results (none if nothing was being
    prepared for it). A preparation on another thread's loop is waited for there."""
    task = _PREPARING.get(execution_id)
    if task is None:
        return []
    return await _wait(task)


async def all_brain_documents_ready() -> None:
    """Wait until this event loop has no preparation left (new ones may start while
    waiting)."""
    loop = asyncio.get_running_loop()
    while mine := [t for t in _PREPARING.values() if t.get_loop() is loop]:
        await asyncio.gather(*(_wait(t) for t in mine), return_exceptions=True)


async def _wait(task: asyncio.Task[list[PipelineResult]]) -> list[PipelineResult]:
    loop = task.get_loop()
    if loop is asyncio.get_running_loop():
        return await asyncio.shield(task)  # a waiter that gives up does not stop the work
    if not loop.is_running():
        raise RuntimeError("The loop preparing these brain documents is not running.")

    async def there() -> list[PipelineResult]:
        return await task

    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(there(), loop))
