"""The recorder writes behind: runs started together are one INSERT, a run's writes
arrive in order, a row is committed before any event naming it, a late result is still
neither recorded nor counted, a bad write fails alone, and nothing is left unwritten
when an orchestration returns, even cancelled."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from agents.models import Agent
from agents.selectors import agent_spec
from brain.models import Project
from engine.ports import AgentSpec, RunFinish, RunStart
from executions.events import DjangoEventSink
from executions.models import Execution, ExecutionEvent
from executions.recorder import DjangoRunRecorder, end_run
from executions.services import create_orchestration, run_orchestration
from tests.executions.conftest import PLAN, by_agent, plan, selection
from tests.executions.test_event_log import counting
from tests.support.fake_llm import FakeLLMServer, hang, json_reply

pytestmark = pytest.mark.django_db(transaction=True)


async def spec_of(project: Project, agent_id: str = "story-architect-001") -> AgentSpec:
    agent = await Agent.objects.select_related("department").aget(agent_id=agent_id)
    return await sync_to_async(agent_spec)(agent, project)


async def new_root(project: Project) -> str:
    root = await sync_to_async(create_orchestration)(project, "Outline episode 3")
    return str(root.execution_id)


def child(spec: AgentSpec, project: Project, root: str, parent: str | None = None) -> RunStart:
    return RunStart(
        agent=spec,
        kind="specialist",
        prompt="p",
        project_id=project.pk,
        parent_id=parent or root,
        root_id=root,
        running=True,
    )


def inserts(sql: list[str]) -> int:
    return sum(
        1 for s in sql if s.lstrip().upper().startswith('INSERT INTO "EXECUTIONS_EXECUTION"')
    )


def updates(sql: list[str]) -> int:
    return sum(1 for s in sql if s.lstrip().upper().startswith('UPDATE "EXECUTIONS_EXECUTION"'))


async def test_runs_started_together_are_inserted_in_one_call(project: Project) -> None:
    spec, root = await spec_of(project), await new_root(project)
    recorder = DjangoRunRecorder()

    async with counting() as statements:
        ids = await asyncio.gather(*[recorder.start(child(spec, project, root)) for _ in range(8)])
        await recorder.flush()

    assert inserts(statements.sent) == 1  # one round trip, one statement per row or not
    rows = Execution.objects.filter(execution_id__in=ids).select_related("parent", "root")
    found = [row async for row in rows]
    assert len(found) == 8
    assert {str(r.parent.execution_id) for r in found if r.parent} == {root}
    assert all(r.status == "running" and r.department_id is not None for r in found)


async def test_a_department_and_its_specialists_started_together_are_one_insert_call_per_level(
    project: Project,
) -> None:
    spec, root = await spec_of(project), await new_root(project)
    recorder = DjangoRunRecorder()

    async with counting() as statements:
        department = await recorder.start(
            dataclasses.replace(child(spec, project, root), kind="department")
        )
        ids = [await recorder.start(child(spec, project, root, department)) for _ in range(4)]
        await recorder.flush()

    assert inserts(statements.sent) == 2
    parents = Execution.objects.filter(execution_id__in=ids).values_list(
        "parent__execution_id", flat=True
    )
    assert {str(p) async for p in parents} == {department}


async def test_a_runs_start_finish_and_review_arrive_in_order(project: Project) -> None:
    spec, root = await spec_of(project), await new_root(project)
    recorder = DjangoRunRecorder()

    async with counting() as statements:
        run = await recorder.start(child(spec, project, root))
        await recorder.finish(run, RunFinish(status="completed", output={"a": 1}))
        await recorder.record_review(
            run,
            scores={"overall": 80.0},
            decision="accept",
            review_status="approved",
            reviewed_by_pk=None,
            notes="fine",
        )
        await recorder.flush()

    row = await Execution.objects.aget(execution_id=run)
    assert [h["status"] for h in row.status_history] == ["pending", "running", "completed"]
    assert row.status == "completed" and row.output == {"a": 1}
    assert row.overall_score == 80.0 and row.review_notes == "fine"
    # Queued in one batch, the finish and the review went into the INSERT itself.
    assert inserts(statements.sql) == 1 and updates(statements.sql) == 0


async def test_the_row_is_committed_before_an_event_names_it(project: Project) -> None:
    spec, root = await spec_of(project), await new_root(project)
    recorder = DjangoRunRecorder()
    sink = DjangoEventSink(recorder.rows.pks)

    async with counting() as statements:
        run = await recorder.start(child(spec, project, root))  # queued, not written
        await sink.emit(root, "specialist-executing", {"n": 1}, source_id=run)

    event = await ExecutionEvent.objects.select_related("source").aget(execution__execution_id=root)
    assert event.source is not None and str(event.source.execution_id) == run
    # The sink knew the ids from the recorder: one look-up of row ids (the root's).
    assert sum('"executions_execution"."id" AS "pk"' in s for s in statements.sql) == 1


async def test_a_late_finish_after_cleanup_ended_the_run_is_neither_recorded_nor_counted(
    project: Project,
) -> None:
    spec, root = await spec_of(project), await new_root(project)
    recorder = DjangoRunRecorder()
    run = await recorder.start(child(spec, project, root))
    await recorder.flush()
    assert await end_run(run, "failed", {"type": "agent_failure", "message": "gone"})

    await recorder.finish(run, RunFinish(status="completed", output={"late": True}))
    await recorder.flush_metrics(closing=True)

    row = await Execution.objects.aget(execution_id=run)
    assert row.status == "failed" and row.output is None
    agent = await Agent.objects.aget(agent_id=spec.agent_id)
    assert agent.total_executions == 0


async def test_finishes_queued_together_each_move_only_their_own_run(project: Project) -> None:
    spec, root = await spec_of(project), await new_root(project)
    recorder = DjangoRunRecorder()
    runs = [await recorder.start(child(spec, project, root)) for _ in range(4)]
    await recorder.flush()
    assert await end_run(runs[1], "failed", {"type": "agent_failure", "message": "gone"})

    async with counting() as statements:
        for run in runs:  # queued without a wait: one batch
            await recorder.finish(run, RunFinish(status="completed", output={"run": run}))
        await recorder.flush_metrics(closing=True)

    rows = Execution.objects.filter(execution_id__in=runs)
    found = {str(r.execution_id): r async for r in rows}
    assert [found[run].status for run in runs] == ["completed", "failed", "completed", "completed"]
    assert found[runs[1]].output is None and found[runs[2]].output == {"run": runs[2]}
    histories = [[h["status"] for h in found[run].status_history] for run in runs]
    assert histories[0] == ["pending", "running", "completed"]
    assert histories[1][-1] == "failed"
    agent = await Agent.objects.aget(agent_id=spec.agent_id)
    assert agent.total_executions == 3  # the run cleanup ended is not counted
    # Four statements of one text: on PostgreSQL, sent together in one round trip.
    assert updates(statements.sql) == 4
    assert updates(statements.sent) == (1 if connection.vendor == "postgresql" else 4)


async def test_a_runs_second_update_in_a_batch_follows_its_first(project: Project) -> None:
    spec, root = await spec_of(project), await new_root(project)
    recorder = DjangoRunRecorder()
    run = await recorder.start(dataclasses.replace(child(spec, project, root), running=False))
    await recorder.flush()

    await recorder.mark_running(run)
    await recorder.finish(run, RunFinish(status="completed"))
    await recorder.flush()

    row = await Execution.objects.aget(execution_id=run)
    assert [h["status"] for h in row.status_history] == ["pending", "running", "completed"]
    assert row.status == "completed" and row.started_at is not None


async def test_a_bad_write_fails_alone_and_the_others_of_its_batch_are_written(
    project: Project,
) -> None:
    spec, root = await spec_of(project), await new_root(project)
    lost = dataclasses.replace(spec, department="no-such-department")
    recorder = DjangoRunRecorder()

    first = await recorder.start(child(spec, project, root))
    bad = await recorder.start(child(lost, project, root))
    last = await recorder.start(child(spec, project, root))
    for run in (first, bad, last):
        await recorder.finish(run, RunFinish(status="completed"))
    await recorder.flush_metrics(closing=True)

    rows = Execution.objects.filter(execution_id__in=[first, bad, last])
    statuses = {str(r.execution_id): r.status async for r in rows}
    assert statuses == {first: "completed", last: "completed"}
    agent = await Agent.objects.aget(agent_id=spec.agent_id)
    assert agent.total_executions == 2


async def test_every_row_is_written_when_a_cancelled_orchestration_returns(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    llm.script(by_agent("story-head-001"), json_reply(selection("story-architect-001")))
    llm.script(by_agent("story-architect-001"), hang())
    root = await new_root(project)
    task = asyncio.create_task(run_orchestration(root))
    await llm.wait_for_requests_async(3, 30)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    rows = Execution.objects.filter(root__execution_id=root)
    statuses: dict[str, Any] = {r.kind: r.status async for r in rows}
    assert statuses["orchestration"] == statuses["specialist"] == "cancelled"
    assert statuses["department"] == "cancelled"
    assert not await rows.exclude(status__in=Execution.FINISHED).aexists()
