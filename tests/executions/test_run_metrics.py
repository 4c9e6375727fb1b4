"""Agent and department metrics (spec 4.1) are folded during an orchestration and
written once per row at its end, even when it fails or is cancelled: the values are
those the per-run formulas give."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from agents.models import Agent
from brain.models import Project
from departments.models import Department
from executions.models import Execution
from executions.recorder import CONTAINER_KINDS
from executions.services import RUNNING, cancel_orchestration, start_orchestration
from tests.executions.conftest import PLAN, by_agent, orchestrate, plan, selection
from tests.executions.test_event_log import counting
from tests.support.fake_llm import FakeLLMServer, hang, http_error, json_reply

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Runs:
    """Running totals as spec 4.1 keeps them."""

    count: int = 0
    ok: int = 0
    average_time: float = 0.0
    tokens: int = 0
    scored: int = 0
    average_quality: float = 0.0

    def add_run(self, elapsed_ms: int, ok: bool, tokens: int) -> None:
        self.average_time = (self.average_time * self.count + elapsed_ms) / (self.count + 1)
        self.count += 1
        self.ok += ok
        self.tokens += tokens

    def add_score(self, overall: float) -> None:
        self.average_quality = (self.average_quality * self.scored + overall) / (self.scored + 1)
        self.scored += 1


async def agent_metrics() -> dict[int, Runs]:
    return {
        a.pk: Runs(
            a.total_executions,
            a.successful_executions,
            a.average_execution_time,
            a.total_tokens_used,
            a.scored_executions,
            a.average_quality_score,
        )
        async for a in Agent.objects.all()
    }


async def expected_agents(before: dict[int, Runs], *root_ids: str) -> dict[int, Runs]:
    """`before` plus every run and review under the roots, applied one at a time."""
    runs = Execution.objects.filter(root__execution_id__in=root_ids, agent__isnull=False)
    runs = runs.order_by("pk")
    async for run in runs:
        if run.kind not in CONTAINER_KINDS and run.status != "skipped":
            tally = before[run.agent_id]
            tally.add_run(run.execution_time or 0, run.status == "completed", run.total_tokens)
        # A container's score sums its specialists' reviews: no review of its agent.
        if run.overall_score is not None and run.kind not in CONTAINER_KINDS:
            before[run.agent_id].add_score(run.overall_score)
    return before


async def assert_metrics_follow_the_runs(before: dict[int, Runs], *root_ids: str) -> None:
    expected = await expected_agents(before, *root_ids)
    async for agent in Agent.objects.all():
        want = expected[agent.pk]
        assert agent.total_executions == want.count, agent.agent_id
        assert agent.successful_executions == want.ok, agent.agent_id
        assert agent.average_execution_time == pytest.approx(want.average_time)
        assert agent.success_rate == pytest.approx(want.ok * 100 / want.count if want.count else 0)
        assert agent.total_tokens_used == want.tokens
        assert agent.scored_executions == want.scored, agent.agent_id
        assert agent.average_quality_score == pytest.approx(want.average_quality)


async def test_metrics_after_an_orchestration_equal_the_per_run_formulas(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9), ("story", 0.8))))
    before = await agent_metrics()

    response = await orchestrate(project)

    assert response["status"] == "completed"
    await assert_metrics_follow_the_runs(before, response["executionId"])
    runs = Execution.objects.filter(root__execution_id=response["executionId"])
    finished = [r.completed_at async for r in runs.exclude(kind__in=CONTAINER_KINDS)]
    touched = Agent.objects.filter(total_executions__gt=0)
    assert max(finished) == max([a.last_executed_at async for a in touched])
    for slug in ("character", "story"):
        department = await Department.objects.aget(slug=slug)
        assert department.total_executions == 1 and department.success_rate == 100
        run = await runs.aget(kind="department", department=department)
        assert department.average_execution_time == pytest.approx(run.execution_time)


async def test_two_orchestrations_at_once_both_count(llm: FakeLLMServer, project: Project) -> None:
    llm.script(PLAN, *[json_reply(plan(("character", 0.9), ("story", 0.8)))] * 2)
    before = await agent_metrics()

    first, second = await asyncio.gather(orchestrate(project), orchestrate(project))

    assert first["status"] == second["status"] == "completed"
    await assert_metrics_follow_the_runs(before, first["executionId"], second["executionId"])
    department = await Department.objects.aget(slug="character")
    assert department.total_executions == 2


async def test_an_orchestration_writes_one_update_per_agent_and_department_touched(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9), ("story", 0.8))))
    async with counting() as statements:
        response = await orchestrate(project)

    runs = Execution.objects.filter(root__execution_id=response["executionId"])
    agent_runs = [
        r.agent_id async for r in runs.filter(agent__isnull=False).exclude(kind__in=CONTAINER_KINDS)
    ]
    updates = [s for s in statements.sql if s.lstrip().upper().startswith("UPDATE")]
    assert sum('"agents_agent"' in s for s in updates) == len(set(agent_runs))
    assert len(set(agent_runs)) < len(agent_runs)  # some agent ran more than once
    assert sum('"departments_department"' in s for s in updates) == 2


async def test_metrics_are_written_when_the_orchestration_fails(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(lambda body: True, *[http_error(503)] * 50)
    before = await agent_metrics()

    response = await orchestrate(project)

    assert response["status"] == "failed"
    await assert_metrics_follow_the_runs(before, response["executionId"])
    assert await Agent.objects.filter(total_executions=1, successful_executions=0).acount() == 1


async def test_metrics_are_written_when_the_orchestration_is_cancelled(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    llm.script(by_agent("character-creator-001"), hang())
    before = await agent_metrics()

    execution_id = await start_orchestration(project, "Create a villain")
    await llm.wait_for_requests_async(3, seconds=10)
    task: asyncio.Task[Any] = RUNNING[execution_id]
    assert await cancel_orchestration(execution_id)
    with pytest.raises(asyncio.CancelledError):
        await task

    await assert_metrics_follow_the_runs(before, execution_id)
    creator = await Agent.objects.aget(agent_id="character-creator-001")
    assert creator.total_executions == 1 and creator.successful_executions == 0
