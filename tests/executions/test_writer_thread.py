"""Where the run writer writes: on PostgreSQL a thread and connection of its own, so a
commit never queues behind the runs' other ORM work; on SQLite, and under a sync
caller, the ORM's thread, so a caller's open transaction holds the writes too."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection, transaction

from brain.models import Project
from executions.events import DjangoEventSink, flush_writes
from executions.models import ExecutionEvent
from executions.services import create_orchestration

pytestmark = pytest.mark.django_db(transaction=True)

ORM_BUSY_FOR = 10.0  # seconds at most; released as soon as the test has its answer


async def emit_while_the_orm_thread_is_busy(run: str) -> bool:
    """Whether an event is committed while asgiref's thread-sensitive thread is held."""
    gate = threading.Event()
    busy = asyncio.ensure_future(sync_to_async(gate.wait)(ORM_BUSY_FOR))
    await asyncio.sleep(0.05)  # the hop has reached the thread
    rung = DjangoEventSink().queue(run, "orchestration-started", {})
    committed = asyncio.ensure_future(flush_writes())  # a bell may want the ORM thread
    try:
        done, _ = await asyncio.wait([committed], timeout=2.0)
        return committed in done
    finally:
        gate.set()
        await asyncio.gather(busy, committed, rung)


async def test_an_event_commits_while_the_orm_thread_is_busy_on_postgresql_only(
    project: Project,
) -> None:
    """PostgreSQL writes on a thread of its own; SQLite waits for its one writer."""
    root = await sync_to_async(create_orchestration)(project, "Outline episode 3")

    committed = await emit_while_the_orm_thread_is_busy(str(root.execution_id))

    assert committed == (connection.vendor == "postgresql")
    assert await ExecutionEvent.objects.filter(execution=root).acount() == 1


def test_under_a_sync_caller_the_writes_share_its_open_transaction(project: Project) -> None:
    with transaction.atomic():
        root = create_orchestration(project, "Outline episode 3")  # not committed
        async_to_sync(DjangoEventSink().emit)(str(root.execution_id), "orchestration-started", {})
        assert ExecutionEvent.objects.filter(execution=root).count() == 1
        transaction.set_rollback(True)

    assert not ExecutionEvent.objects.exists()
