"""Runs waiting for a slot of a full process: one poll serves them all."""

from __future__ import annotations

import asyncio

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from brain.models import Project
from brain.pipeline import PipelineResult
from brain.preparation import RUNS_AT_ONCE, all_brain_documents_ready, prepare_in_background
from executions import services
from executions.models import Execution
from executions.services import RUNNING, cancel_orchestration, start_orchestration
from tests.executions.conftest import PLAN, by_agent, hold_the_only_slot, plan, selection
from tests.support.fake_llm import FakeLLMServer, json_reply

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


async def backlog_of_documents(waiting: int) -> asyncio.Event:
    """Runs' brain documents that hold every turn, and `waiting` more waiting for one;
    setting the event lets them all finish."""
    release = asyncio.Event()

    async def documents() -> list[PipelineResult]:
        await release.wait()
        return []

    for n in range(RUNS_AT_ONCE + waiting):
        prepare_in_background(f"earlier-run-{n}", documents())
    return release


async def test_a_run_waits_to_start_while_too_many_runs_documents_wait_their_turn(
    llm: FakeLLMServer, project: Project, settings: SettingsWrapper
) -> None:
    settings.ALADDIN_MAX_DOCUMENT_BACKLOG = 1
    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    llm.script(by_agent("story-head-001"), json_reply(selection("story-architect-001")))
    release = await backlog_of_documents(waiting=2)
    execution_id = await start_orchestration(project, "After the documents")
    task = RUNNING[execution_id]
    queued_at = (await Execution.objects.aget(execution_id=execution_id)).updated_at
    await asyncio.sleep(POLL * 6)

    row = await Execution.objects.aget(execution_id=execution_id)
    assert row.status == "pending" and row.started_at is None
    assert row.updated_at > queued_at  # its heartbeat is kept while it waits
    assert llm.requests == []

    release.set()
    response = await asyncio.wait_for(task, 60)
    await all_brain_documents_ready()

    assert response["status"] == "completed", response
    assert len(llm.requests) > 0


async def test_a_run_waiting_on_the_documents_backlog_can_be_cancelled(
    llm: FakeLLMServer, project: Project, settings: SettingsWrapper
) -> None:
    settings.ALADDIN_MAX_DOCUMENT_BACKLOG = 0
    release = await backlog_of_documents(waiting=1)
    execution_id = await start_orchestration(project, "Never mind")
    task = RUNNING[execution_id]
    await asyncio.sleep(POLL * 2)

    await Execution.objects.filter(execution_id=execution_id).aupdate(cancel_requested=True)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 30)

    row = await Execution.objects.aget(execution_id=execution_id)
    assert row.status == "cancelled" and row.started_at is None
    assert services.process_slots().active == 0  # the slot it held is free again
    release.set()
    await all_brain_documents_ready()
