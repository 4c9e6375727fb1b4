"""Every run ends exactly once: claims, conditional transitions, failures while setting up,
queued runs by priority, and single-agent answers that cannot be taken as they are."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from pytest_django.fixtures import Settings as SettingsWrapper

from agents.models import Agent
from agents.selectors import agent_spec
from brain.models import Project
from engine.ports import RunFinish, RunStart
from executions.models import Execution
from executions.recorder import DjangoRunRecorder, end_run
from executions.requests import RequestOptions
from executions.runners import run_agent
from executions.services import (
    RUNNING,
    cancel_orchestration,
    create_orchestration,
    run_orchestration,
    start_orchestration,
)
from tests.executions.conftest import (
    PLAN,
    by_agent,
    hold_the_only_slot,
    orchestrate,
    plan,
)
from tests.support.fake_llm import FakeLLMServer, json_reply, text

pytestmark = pytest.mark.django_db(transaction=True)


async def new_root(project: Project, **kwargs: Any) -> str:
    root = await sync_to_async(create_orchestration)(project, "Outline episode 3", **kwargs)
    return str(root.execution_id)


async def test_running_a_finished_orchestration_again_does_nothing(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    first = await orchestrate(project)
    assert first["status"] == "completed"
    calls = len(llm.requests)

    again = await run_orchestration(first["executionId"])

    assert again["status"] == "completed" and "skipped" in again
    assert len(llm.requests) == calls
    root = await Execution.objects.aget(execution_id=first["executionId"])
    assert [h["status"] for h in root.status_history] == ["pending", "running", "completed"]


async def test_a_failed_orchestration_delivered_again_stays_failed_and_costs_nothing(
    llm: FakeLLMServer, project: Project
) -> None:
    execution_id = await new_root(project)
    assert await end_run(execution_id, "failed", {"type": "agent_failure", "message": "lost"})

    response = await run_orchestration(execution_id)

    assert response["status"] == "failed" and "skipped" in response
    assert llm.requests == []
    assert (
        not await Execution.objects.filter(root__execution_id=execution_id)
        .exclude(kind="orchestration")
        .aexists()
    )


async def test_two_deliveries_at_once_run_the_orchestration_once(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("story", 0.9))), json_reply(plan(("story", 0.9))))
    execution_id = await new_root(project)

    first, second = await asyncio.gather(
        run_orchestration(execution_id), run_orchestration(execution_id)
    )

    statuses = sorted(["skipped" in first, "skipped" in second])
    assert statuses == [False, True]
    assert len(llm.requests_matching(PLAN)) == 1
    assert (
        await Execution.objects.filter(root__execution_id=execution_id, kind="department").acount()
        == 1
    )


async def test_a_failure_while_setting_up_ends_the_run_instead_of_leaving_it_pending(
    llm: FakeLLMServer, project: Project
) -> None:
    # A row from an older version, with an option today's validator would refuse.
    execution_id = await new_root(project)
    root = await Execution.objects.aget(execution_id=execution_id)
    root.params = {"options": {"maxTokens": "lots"}}
    await root.asave(update_fields=["params"])

    response = await run_orchestration(execution_id)

    root = await Execution.objects.aget(execution_id=execution_id)
    assert root.status == "failed" and response["status"] == "failed"
    assert "could not run" in root.error["message"]
    assert not await Execution.objects.filter(status="pending").aexists()


async def test_a_late_result_never_overwrites_a_final_status(project: Project) -> None:
    agent = await Agent.objects.select_related("department").aget(agent_id="story-architect-001")
    spec = await sync_to_async(agent_spec)(agent, project)
    recorder = DjangoRunRecorder()
    execution_id = await recorder.start(
        RunStart(agent=spec, kind="specialist", prompt="p", project_id=project.pk)
    )
    await recorder.mark_running(execution_id)
    await recorder.flush()  # the recorder writes behind
    assert await end_run(execution_id, "failed", {"type": "agent_failure", "message": "gone"})

    await recorder.finish(execution_id, RunFinish(status="completed", output={"late": True}))
    await recorder.mark_running(execution_id)
    await recorder.flush()

    row = await Execution.objects.aget(execution_id=execution_id)
    assert row.status == "failed" and row.output is None
    assert [h["status"] for h in row.status_history] == ["pending", "running", "failed"]
    agent = await Agent.objects.aget(pk=agent.pk)
    assert agent.total_executions == 0


async def test_queued_runs_start_by_priority_when_the_process_is_full(
    llm: FakeLLMServer, project: Project, settings: SettingsWrapper
) -> None:
    settings.ALADDIN_MAX_CONCURRENT_ORCHESTRATIONS = 1
    busy = await hold_the_only_slot(llm, project)
    queued = {}
    for priority in ("low", "medium", "urgent", "high"):
        queued[priority] = await start_orchestration(
            project, f"A {priority} request", options=RequestOptions(priority=priority)
        )
    tasks = [RUNNING[execution_id] for execution_id in queued.values()]
    await asyncio.sleep(0.3)  # time enough to start, were the slot free: none did
    assert not await Execution.objects.filter(
        execution_id__in=list(queued.values()), started_at__isnull=False
    ).aexists()

    await cancel_orchestration(busy)
    await asyncio.gather(*tasks)

    started = [
        str(row.execution_id)
        async for row in Execution.objects.filter(execution_id__in=list(queued.values())).order_by(
            "started_at"
        )
    ]
    assert started == [queued[p] for p in ("urgent", "high", "medium", "low")]
    root = await Execution.objects.aget(execution_id=queued["urgent"])
    assert root.params["options"]["priority"] == "urgent"


async def test_cancelling_a_queued_run_ends_it_without_running_it(
    llm: FakeLLMServer, project: Project, settings: SettingsWrapper
) -> None:
    settings.ALADDIN_MAX_CONCURRENT_ORCHESTRATIONS = 1
    busy = await hold_the_only_slot(llm, project)
    waiting = await start_orchestration(project, "Wait your turn")
    task = RUNNING[waiting]
    requests = len(llm.requests)

    assert await cancel_orchestration(waiting)
    with pytest.raises(asyncio.CancelledError):
        await task

    row = await Execution.objects.aget(execution_id=waiting)
    assert row.status == "cancelled" and row.started_at is None
    assert len(llm.requests) == requests
    await cancel_orchestration(busy)


async def test_an_answer_that_ignores_max_tokens_is_cut_and_charged_at_the_role_limit(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(by_agent("character-creator-001"), text("word " * 200_000))

    result = await run_agent("character-creator-001", "Describe Mara", project=project)

    assert result.output_tokens == 2000  # the specialist's max output (spec 7.1)
    assert len(result.output) <= 2000 * 4
    row = await Execution.objects.aget(execution_id=result.execution_id)
    assert row.total_tokens <= 6000


async def test_an_empty_answer_from_a_single_agent_is_a_validation_error(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(by_agent("character-creator-001"), text(""))

    result = await run_agent("character-creator-001", "Describe Mara", project=project)

    assert result.status == "failed"
    row = await Execution.objects.aget(execution_id=result.execution_id)
    assert row.status == "failed" and row.error_type == "validation_error"


async def test_a_run_cancelled_before_any_process_took_it_never_starts(
    llm: FakeLLMServer, project: Project
) -> None:
    execution_id = await new_root(project, in_process=False)  # as if queued on a broker
    assert await cancel_orchestration(execution_id)

    response = await run_orchestration(execution_id)

    row = await Execution.objects.aget(execution_id=execution_id)
    assert response["status"] == row.status == "cancelled"
    assert row.started_at is None and llm.requests == []
