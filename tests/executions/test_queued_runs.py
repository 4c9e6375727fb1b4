"""Runs waiting for a slot of a full process: one poll serves them all."""

from __future__ import annotations

import asyncio

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from brain.models import Project
from executions import services
from executions.models import Execution
from executions.services import RUNNING, cancel_orchestration, start_orchestration
from tests.executions.conftest import hold_the_only_slot
from tests.support.fake_llm import FakeLLMServer

pytestmark = pytest.mark.django_db(transaction=True)
POLL = 0.05


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper) -> None:
    monkeypatch.setattr(services, "QUEUED_POLL_SECONDS", POLL)
    settings.ALADDIN_MAX_CONCURRENT_ORCHESTRATIONS = 1


async def test_many_queued_runs_share_one_heartbeat_statement_per_poll(
    llm: FakeLLMServer, project: Project
) -> None:
    busy = await hold_the_only_slot(llm, project)
    waiting = [await start_orchestration(project, f"Request {n}") for n in range(6)]
    queued_at = {row.updated_at async for row in Execution.objects.filter(execution_id__in=waiting)}
    await asyncio.sleep(POLL * 6)

    stamps = {row.updated_at async for row in Execution.objects.filter(execution_id__in=waiting)}
    # Fresh heartbeats, all from one statement (one poll per run would stamp each apart).
    assert len(stamps) == 1 and stamps.isdisjoint(queued_at)
    assert all(not RUNNING[execution_id].done() for execution_id in waiting)
    for execution_id in [busy, *waiting]:
        await cancel_orchestration(execution_id)


async def test_a_cancel_written_by_another_process_ends_a_queued_run(
    llm: FakeLLMServer, project: Project
) -> None:
    busy = await hold_the_only_slot(llm, project)
    waiting = await start_orchestration(project, "Wait your turn")
    other = await start_orchestration(project, "Keep waiting")
    task = RUNNING[waiting]

    # What cancel_orchestration writes in a process that does not hold the run.
    await Execution.objects.filter(execution_id=waiting).aupdate(cancel_requested=True)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 30)

    row = await Execution.objects.aget(execution_id=waiting)
    assert row.status == "cancelled" and row.started_at is None
    still = await Execution.objects.aget(execution_id=other)
    assert still.status == "pending" and not RUNNING[other].done()
    for execution_id in (busy, other):
        await cancel_orchestration(execution_id)
