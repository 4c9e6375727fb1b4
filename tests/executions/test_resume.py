"""Checkpoints: a resumed or retried orchestration reuses every run that finished,
calls the model only for what did not, and costs what an uninterrupted run costs."""

from __future__ import annotations

import socket
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db.models import Sum

from brain.models import Project
from executions.background import wait_idle
from executions.maintenance import cleanup
from executions.models import Execution
from executions.resume import NotRetryable, resume_paused, retry_orchestration
from executions.services import run_orchestration
from tests.executions.conftest import (
    PLAN,
    SYNTHESIS,
    by_agent,
    orchestrate,
    plan,
    selection,
)
from tests.support.fake_llm import FakeLLMServer, http_error, json_reply

pytestmark = pytest.mark.django_db(transaction=True)


def out(run: Execution) -> dict[str, Any]:
    assert isinstance(run.output, dict), run.output
    return run.output


LEAVES = ("plan", "specialist", "review", "synthesis", "validation")


def dead_worker() -> str:
    """host:pid of a process that has exited (this host)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}"


def leaf_cost(root: Execution) -> Decimal:
    rows = Execution.objects.filter(root=root, kind__in=LEAVES)
    return rows.aggregate(total=Sum("cost"))["total"] or Decimal(0)


def script_character_team(llm: FakeLLMServer) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(
        by_agent("character-head-001"),
        json_reply(selection("character-creator-001", "psychology-specialist-001")),
    )


def interrupt(root: Execution) -> None:
    """What a killed process leaves: the root and its department running under a
    process that is gone, the synthesis started and never finished."""
    Execution.objects.filter(root=root, kind="synthesis").update(
        status="running", output=None, cost=None, input_tokens=0, output_tokens=0
    )
    Execution.objects.filter(root=root, kind="department").update(status="running")
    Execution.objects.filter(pk=root.pk).update(
        status="running", worker=dead_worker(), completed_at=None, output=None
    )


async def test_an_interrupted_run_resumes_and_pays_only_for_unfinished_work(
    llm: FakeLLMServer, project: Project
) -> None:
    script_character_team(llm)
    first = await orchestrate(project)
    assert first["status"] == "completed", first.get("error")
    root = await Execution.objects.aget(execution_id=first["executionId"])
    uncrashed_cost = root.cost
    await sync_to_async(interrupt)(root)
    llm.reset()

    report = await sync_to_async(cleanup)()
    assert report.resumed == 1 and report.interrupted == 0
    await root.arefresh_from_db()
    assert root.status == "pending" and root.params["resume"] is True
    resumed = await run_orchestration(first["executionId"])

    assert resumed["status"] == "completed", resumed.get("error")
    # Only the synthesis was unfinished: plan, selection, specialists, reviews reused.
    agent_calls = [r for r in llm.requests if r.get("user")]  # not the brain pipeline's
    assert len(agent_calls) == 1 and SYNTHESIS in str(agent_calls[0]["messages"])
    await root.arefresh_from_db()
    assert root.status == "completed"
    assert root.cost == uncrashed_cost
    assert await sync_to_async(leaf_cost)(root) == uncrashed_cost
    specialists = Execution.objects.filter(root=root, kind="specialist")
    assert await specialists.acount() == 2
    interrupted = await Execution.objects.aget(root=root, kind="synthesis", status="cancelled")
    assert "Interrupted" in str(interrupted.error)


def test_a_retry_after_a_provider_outage_reruns_only_the_failed_branch(
    llm: FakeLLMServer, project: Project, settings: object
) -> None:
    script_character_team(llm)
    attempts = settings.ALADDIN_RETRY_ATTEMPTS  # type: ignore[attr-defined]
    llm.script(by_agent("psychology-specialist-001"), *[http_error(503)] * attempts)
    first = async_to_sync(orchestrate)(project)
    specialists = {s["agentId"]: s for s in first["departmentReports"][0]["specialists"]}
    assert specialists["psychology-specialist-001"]["status"] == "failed"
    assert specialists["character-creator-001"]["decision"] == "accept"
    llm.reset()  # the provider is back

    root = Execution.objects.get(execution_id=first["executionId"])
    retry_orchestration(root)  # starts it on this process's run loop
    wait_idle()

    root.refresh_from_db()
    assert root.status == "completed", root.error
    assert not llm.requests_matching(by_agent("character-creator-001"))
    assert not llm.requests_matching(PLAN)
    assert llm.requests_matching(by_agent("psychology-specialist-001"))
    report = out(root)["departmentReports"][0]
    assert {s["agentId"]: s["decision"] for s in report["specialists"]} == {
        "character-creator-001": "accept",
        "psychology-specialist-001": "accept",
    }
    assert root.params["attempt"] == 2
    assert root.cost == leaf_cost(root)  # both attempts, nothing paid twice
    departments = Execution.objects.filter(root=root, kind="department")
    assert [d.status for d in departments] == ["completed"]


async def test_a_running_orchestration_cannot_be_retried(project: Project) -> None:
    root = await Execution.objects.acreate(kind="orchestration", project=project, status="running")
    with pytest.raises(NotRetryable, match="only a finished run"):
        await sync_to_async(retry_orchestration)(root)


def test_a_run_paused_at_its_budget_resumes_after_the_budget_is_raised(
    llm: FakeLLMServer, project: Project
) -> None:
    roomy = project.token_budget_per_execution
    project.token_budget_per_execution, project.pause_at_budget = 5000, True
    project.save(update_fields=["token_budget_per_execution", "pause_at_budget"])
    llm.script(PLAN, json_reply(plan(("character", 0.9))))

    paused = async_to_sync(orchestrate)(project)

    assert paused["status"] == "paused", paused.get("error")
    assert paused["stopReason"] == "budget_paused"
    root = Execution.objects.get(execution_id=paused["executionId"])
    assert root.status == "paused"
    last = root.events.order_by("-sequence").first()
    assert last is not None and last.type == "orchestration-paused"
    assert last.payload["reason"] == "budget_paused"
    assert not root.events.filter(type="error").exists()
    calls_before = len(llm.requests)
    llm.reset()
    project.token_budget_per_execution = roomy
    project.save(update_fields=["token_budget_per_execution"])

    resume_paused(root)
    wait_idle()

    root.refresh_from_db()
    assert root.status == "completed", root.error
    assert calls_before > 0 and not llm.requests_matching(PLAN)  # the plan was reused
    assert root.cost == leaf_cost(root)
