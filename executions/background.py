"""One event loop thread per process for runs started from synchronous code.

Views answer at once while the orchestration goes on: the embedded default runs
orchestrations as asyncio tasks in the web process, and a sync view has no loop
of its own that outlives the request. With Celery configured, `launch` only
enqueues, so this loop merely hands the task over.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
logger = logging.getLogger(__name__)

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()
_pending: set[concurrent.futures.Future[Any]] = set()


def loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="aladdin-runs", daemon=True).start()
        return _loop


def submit(coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Run `coroutine` on the background loop; the future can be waited on or ignored.

    In a fresh context: submitted from a request, the task would otherwise inherit the
    request's asgiref executors, which are shut down once the response is sent, and its
    first sync_to_async (a query, an enqueue) would fail silently."""
    future = contextvars.Context().run(asyncio.run_coroutine_threadsafe, coroutine, loop())
    _pending.add(future)
    future.add_done_callback(_pending.discard)
    future.add_done_callback(_report_failure)
    return future


def _report_failure(future: concurrent.futures.Future[Any]) -> None:
    """A submitted coroutine nobody waits on would otherwise fail without a trace."""
    if not future.cancelled() and future.exception() is not None:
        logger.error("Background work failed", exc_info=future.exception())


def wait_idle(timeout: float = 30.0) -> None:
    """Block until everything submitted, and every run it launched, has finished, their
    brain documents included (tests, shutdown)."""
    from brain.preparation import all_brain_documents_ready
    from executions.events import flush_writes
    from executions.services import RUNNING

    async def runs_done() -> None:
        while RUNNING:
            await asyncio.gather(*list(RUNNING.values()), return_exceptions=True)
        await all_brain_documents_ready()
        await flush_writes()  # the run rows and events written behind

    concurrent.futures.wait(list(_pending), timeout=timeout)
    if _loop is not None and not _loop.is_closed():
        asyncio.run_coroutine_threadsafe(runs_done(), _loop).result(timeout=timeout)
