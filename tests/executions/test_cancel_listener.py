"""One cancel listener per event loop turns cancel flags written by any process into
cancellation of the runs this loop runs."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db.models import QuerySet

from brain.models import Project
from executions.cancel_listener import listener
from executions.models import Execution
from executions.services import create_orchestration, run_orchestration
from tests.executions.conftest import plan, selection
from tests.executions.test_orchestrator import PLAN, by_agent
from tests.support.fake_llm import FakeLLMServer, hang, json_reply

pytestmark = pytest.mark.django_db(transaction=True)


def script_two_departments(llm: FakeLLMServer) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9), ("story", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    llm.script(by_agent("story-head-001"), json_reply(selection("story-architect-001")))
    llm.script(by_agent("character-creator-001"), hang())


async def written(rows: QuerySet[Execution], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await rows.aexists():
        assert asyncio.get_running_loop().time() < deadline, "the row was never written"
        await asyncio.sleep(0.01)


async def start(project: Project) -> tuple[Execution, asyncio.Task[dict[str, object]]]:
    root = await sync_to_async(create_orchestration)(project, "Create a villain")
    return root, asyncio.create_task(run_orchestration(str(root.execution_id)))


async def test_every_running_orchestration_on_a_loop_shares_one_listener(
    llm: FakeLLMServer, project: Project
) -> None:
    for _ in range(2):
        script_two_departments(llm)
    (first, first_run), (second, second_run) = await start(project), await start(project)
    await llm.wait_for_requests_async(8, seconds=60)

    assert listener().watching == {str(first.execution_id), str(second.execution_id)}
    for run in (first_run, second_run):
        run.cancel()
    await asyncio.gather(first_run, second_run, return_exceptions=True)
    assert listener().watching == frozenset()


async def test_a_flag_written_by_another_process_cancels_the_orchestration(
    llm: FakeLLMServer, project: Project
) -> None:
    script_two_departments(llm)
    root, run = await start(project)
    await llm.wait_for_requests_async(4, seconds=60)

    # What the API or a worker in another process writes; no in-process shortcut.
    await Execution.objects.filter(pk=root.pk).aupdate(cancel_requested=True)

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(run, timeout=10)
    root = await Execution.objects.aget(pk=root.pk)
    assert root.status == "cancelled"


async def test_a_department_flag_from_elsewhere_cancels_only_that_department(
    llm: FakeLLMServer, project: Project
) -> None:
    script_two_departments(llm)
    root, run = await start(project)
    await llm.wait_for_requests_async(4, seconds=60)
    character = Execution.objects.filter(root=root, kind="department", department__slug="character")
    # Another process sees a department once its row is committed: the run writes
    # rows behind and does not wait for them before its next LLM call.
    await written(character)

    await character.aupdate(cancel_requested=True)
    response = await asyncio.wait_for(run, timeout=10)

    statuses = {r["department"]: r["status"] for r in response["departmentReports"]}
    assert statuses == {"character": "cancelled", "story": "completed"}
