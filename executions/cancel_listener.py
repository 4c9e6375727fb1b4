"""One cancel listener per event loop, for every orchestration that loop runs.

A cancel request may be written by any process (the API, the admin, another worker),
so the process running the orchestration has to look for it. Each run used to poll
on its own every 0.25 s, which cost about 95 SELECTs per orchestration and grew with
wall time and with the number of runs. Here one task per loop asks once per interval
for the flags of all its runs (one SELECT whatever their number), and touches all
their roots' heartbeats with one UPDATE every HEARTBEAT_EVERY_POLLS polls. The task
ends by itself when the loop runs no orchestration.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.utils import timezone

from engine.per_loop import PerLoop
from executions.models import Execution

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.25
HEARTBEAT_EVERY_POLLS = 20  # every 5 s; see ALADDIN_HEARTBEAT_TIMEOUT_SECONDS


class Cancellable(Protocol):
    async def cancel_department(self, slug: str) -> bool: ...


@dataclass
class _Watched:
    orchestrator: Cancellable
    task: asyncio.Task[Any] | None
    departments_cancelled: set[str] = field(default_factory=set)


class CancelListener:
    """Watches the orchestrations of one event loop; see the module docstring."""

    def __init__(self, poll_seconds: float = POLL_SECONDS) -> None:
        self.poll_seconds = poll_seconds
        self.polls = 0
        self._runs: dict[str, _Watched] = {}
        self._poller: asyncio.Task[None] | None = None

    @property
    def watching(self) -> frozenset[str]:
        return frozenset(self._runs)

    def watch(
        self, execution_id: str, orchestrator: Cancellable, task: asyncio.Task[Any] | None
    ) -> None:
        self._runs[execution_id] = _Watched(orchestrator, task)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll_while_watching())

    def forget(self, execution_id: str) -> None:
        self._runs.pop(execution_id, None)

    async def _poll_while_watching(self) -> None:
        while self._runs:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.poll_once()
            except Exception:  # a database hiccup must not end cancelling for every run
                logger.exception("Polling for cancel requests failed; trying again.")

    async def poll_once(self) -> None:
        """One look at the database for every watched run."""
        ids = list(self._runs)
        if not ids:
            return
        self.polls += 1
        if self.polls % HEARTBEAT_EVERY_POLLS == 0:
            await Execution.objects.filter(execution_id__in=ids).aupdate(updated_at=timezone.now())
        rows = (
            Execution.objects.filter(root__execution_id__in=ids, cancel_requested=True)
            .exclude(status__in=Execution.FINISHED)
            .select_related("department", "root")
            .only("kind", "department__slug", "root__execution_id")
        )
        async for row in rows:
            await self._act_on(str(row.root.execution_id) if row.root else "", row)

    async def _act_on(self, root_id: str, row: Execution) -> None:
        watched = self._runs.get(root_id)
        if watched is None:
            return
        if row.kind == Execution.Kind.ORCHESTRATION and watched.task is not None:
            watched.task.cancel()
            self.forget(root_id)
        elif row.kind == Execution.Kind.DEPARTMENT and row.department is not None:
            slug = row.department.slug
            if slug not in watched.departments_cancelled:
                watched.departments_cancelled.add(slug)
                await watched.orchestrator.cancel_department(slug)


_listeners: PerLoop[CancelListener] = PerLoop(CancelListener)


def listener() -> CancelListener:
    """The running loop's listener (a Celery task's asyncio.run gets its own)."""
    return _listeners.get()
