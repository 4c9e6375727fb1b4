"""How runs end: a plan fitted to the budget, work skipped when the budget runs out,
local failures (an agent's own role limit, a loop), and totals that add up.

The fake server counts tokens as real providers roughly do (prompt characters / 4),
and answers every structured request with a schema-valid sample."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db.models import Q
from pytest_django.fixtures import Settings as SettingsWrapper

from agents.models import Agent
from brain.models import Project
from executions.models import Execution, ExecutionEvent, ToolCall
from executions.services import RequestOptions
from tests.executions.conftest import (
    PLAN,
    by_agent,
    orchestrate,
    plan,
    selection,
    specialist_output,
)
from tests.support.fake_llm import FakeLLMServer, call, json_reply, tool_calls

pytestmark = pytest.mark.django_db(transaction=True)

VILLAIN = "Create a morally grey villain for episode 2, with a visual look and a theme motif."
CONTAINERS = ("orchestration", "department")


async def event_payloads(execution_id: str, type_: str) -> list[dict[str, Any]]:
    return [
        e.payload
        async for e in ExecutionEvent.objects.filter(
            execution__execution_id=execution_id, type=type_
        ).order_by("sequence")
    ]


async def unfinished(root: Execution) -> int:
    return await Execution.objects.filter(root=root, status__in=["pending", "running"]).acount()


def remember_cheap_past_runs(tokens: int) -> None:
    """Past runs say each agent spends `tokens` per run, so the plan keeps everything."""
    for agent in Agent.objects.all():
        Execution.objects.create(
            kind="agent" if agent.department_id else "plan",
            agent=agent,
            status="completed",
            total_tokens=tokens,
            cost=Decimal("0.0001"),
        )


async def test_a_three_department_request_on_a_default_project_completes_within_budget(
    llm: FakeLLMServer, default_project: Project
) -> None:
    # No estimate anywhere (the admin's starting estimates cleared), so every agent is
    # estimated at its role's maxTotal.
    await Agent.objects.aupdate(estimated_tokens_per_run=0)
    llm.script(PLAN, json_reply(plan(("character", 0.95), ("visual", 0.8), ("audio", 0.7))))

    response = await orchestrate(default_project, VILLAIN)

    assert response["status"] == "completed", response.get("error")
    assert response["stopReason"] in {"completed", "budget_exhausted"}
    root = await Execution.objects.aget(execution_id=response["executionId"])
    assert 0 < root.total_tokens <= default_project.token_budget_per_execution
    assert response["metrics"]["tokensUsed"] == root.total_tokens
    # With no past runs every agent is estimated at its role's maxTotal: the plan is cut,
    # lowest relevance first, and says so.
    cut = {o["department"] for o in response["omitted"] if o["agent"] is None}
    assert "audio" in cut and "character" not in cut
    assert all(o["reason"] == "budget" and o["detail"] for o in response["omitted"])
    [planned] = await event_payloads(response["executionId"], "orchestration-plan")
    assert planned["omitted"] == [o for o in response["omitted"] if o["stage"] == "plan"]
    assert planned["departments"][0]["department"] == "character"
    ran = [r["department"] for r in response["departmentReports"]]
    assert set(ran).isdisjoint(cut)
    assert await unfinished(root) == 0


async def test_the_seeded_estimates_let_a_new_install_run_all_three_departments(
    llm: FakeLLMServer, default_project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.95), ("visual", 0.8), ("audio", 0.7))))

    response = await orchestrate(default_project, VILLAIN)

    assert response["status"] == "completed", response.get("error")
    ran = {r["department"] for r in response["departmentReports"]}
    assert ran == {"character", "visual", "audio"}
    assert all(o["agent"] is not None for o in response["omitted"])  # only specialists cut
    root = await Execution.objects.aget(execution_id=response["executionId"])
    assert 0 < root.total_tokens <= default_project.token_budget_per_execution


async def test_past_averages_let_the_same_request_keep_every_department(
    llm: FakeLLMServer, default_project: Project
) -> None:
    await sync_to_async(remember_cheap_past_runs)(800)
    llm.script(PLAN, json_reply(plan(("character", 0.95), ("visual", 0.8), ("audio", 0.7))))

    response = await orchestrate(default_project, VILLAIN)

    [planned] = await event_payloads(response["executionId"], "orchestration-plan")
    assert [d["department"] for d in planned["departments"]] == ["character", "visual", "audio"]
    assert planned["omitted"] == []


async def test_budget_running_out_mid_run_skips_unstarted_work_and_keeps_what_was_done(
    llm: FakeLLMServer, project: Project, settings: SettingsWrapper
) -> None:
    settings.ALADDIN_MAX_PARALLEL_DEPARTMENTS = 1  # one after the other: a fixed order
    await sync_to_async(remember_cheap_past_runs)(300)
    llm.script(PLAN, json_reply(plan(("character", 0.95), ("story", 0.9), ("visual", 0.8))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))

    response = await orchestrate(project, VILLAIN, options=RequestOptions(max_tokens=14_000))

    assert response["status"] == "completed", response.get("error")
    assert response["stopReason"] == "budget_exhausted"
    reports = {r["department"]: r for r in response["departmentReports"]}
    assert reports["character"]["status"] == "completed"
    assert reports["visual"]["status"] == "skipped"
    skipped_late = [o for o in response["omitted"] if o["stage"] == "run"]
    assert skipped_late and all(o["reason"] == "budget" for o in skipped_late)
    root = await Execution.objects.aget(execution_id=response["executionId"])
    assert root.total_tokens <= 14_000 and root.cost is not None and root.cost > 0
    skipped = Execution.objects.filter(root=root, status="skipped")
    assert await skipped.acount() >= 1
    async for row in skipped:
        assert row.total_tokens == 0 and (row.error or {})["details"]["reason"] == "budget"
    assert await unfinished(root) == 0


async def test_a_run_that_produced_nothing_fails_with_budget_exhausted(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))

    response = await orchestrate(project, options=RequestOptions(max_tokens=3_000))

    assert response["status"] == "failed"
    assert response["stopReason"] == "budget_exhausted"
    assert response["error"]["type"] == "budget_exceeded"
    root = await Execution.objects.aget(execution_id=response["executionId"])
    assert root.status == "failed" and await unfinished(root) == 0


async def test_an_agent_reaching_its_own_role_limit_fails_only_its_run(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(
        by_agent("character-head-001"),
        json_reply(selection("character-creator-001", "psychology-specialist-001")),
    )
    # Every step a new search with a long query: no loop, but the tokens pile up.
    searches = [tool_calls(call("search_brain", {"query": f"{i} {'x' * 400}"})) for i in range(12)]
    llm.script(by_agent("character-creator-001"), *searches)
    llm.script(by_agent("psychology-specialist-001"), json_reply(specialist_output("inner")))

    response = await orchestrate(project)

    assert response["status"] == "completed", response.get("error")
    assert response["stopReason"] == "completed"
    [character] = response["departmentReports"]
    outcome = {s["agentId"]: s for s in character["specialists"]}
    assert outcome["character-creator-001"]["status"] == "failed"
    assert "limit of 6000 tokens" in outcome["character-creator-001"]["error"]
    assert outcome["psychology-specialist-001"]["decision"] == "accept"
    run = await Execution.objects.aget(
        root__execution_id=response["executionId"], agent__agent_id="character-creator-001"
    )
    assert run.error_type == "budget_exceeded"
    assert (run.error or {})["details"]["limit"] == "agent"


async def test_a_looping_specialist_is_stopped_with_its_partial_work_kept(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(
        by_agent("character-head-001"),
        json_reply(selection("character-creator-001", "psychology-specialist-001")),
    )
    same = tool_calls(call("search_brain", {"query": "the villain"}))
    llm.script(by_agent("character-creator-001"), same, same, same, same)
    llm.script(by_agent("psychology-specialist-001"), json_reply(specialist_output("inner")))

    response = await orchestrate(project)

    assert response["status"] == "completed"
    assert response["stopReason"] == "loop_detected"
    run = await Execution.objects.aget(
        root__execution_id=response["executionId"], agent__agent_id="character-creator-001"
    )
    assert run.status == "failed" and run.error_type == "loop_detected"
    # Stopped before the third identical call ran; the two that ran are kept.
    assert await ToolCall.objects.filter(execution=run).acount() == 2
    assert len(run.run_state["messages"]) > 2
    [loop] = await event_payloads(response["executionId"], "agent-loop-detected")
    assert loop["agentId"] == "character-creator-001" and loop["pattern"] == "repeat"
    assert loop["action"] == "stop"


async def test_alternating_calls_are_a_loop_too_and_warn_mode_lets_the_agent_go_on(
    llm: FakeLLMServer, project: Project
) -> None:
    # A small context keeps five calls inside the specialist's 6000-token limit.
    await Agent.objects.filter(agent_id="character-creator-001").aupdate(
        loop_detection="warn", required_context=["project"]
    )
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    a = tool_calls(call("search_brain", {"query": "villain"}))
    b = tool_calls(call("get_project_context", {}))
    llm.script(by_agent("character-creator-001"), a, b, a, b, json_reply(specialist_output("grey")))

    response = await orchestrate(project)

    assert response["status"] == "completed", response.get("error")
    assert response["stopReason"] == "completed", response["departmentReports"]
    [loop] = await event_payloads(response["executionId"], "agent-loop-detected")
    assert loop["pattern"] == "alternation" and loop["action"] == "warn"
    run = await Execution.objects.aget(
        root__execution_id=response["executionId"],
        agent__agent_id="character-creator-001",
        kind="specialist",
    )
    assert run.status == "completed"
    assert await ToolCall.objects.filter(execution=run).acount() == 4


async def test_containers_carry_the_sums_of_their_children(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.95), ("story", 0.7))))
    llm.script(
        by_agent("character-head-001"),
        json_reply(selection("character-creator-001", "psychology-specialist-001")),
    )

    response = await orchestrate(project)

    assert response["status"] == "completed"
    root = await Execution.objects.aget(execution_id=response["executionId"])
    containers = [root] + [d async for d in Execution.objects.filter(root=root, kind="department")]
    for container in containers:
        children = [c async for c in Execution.objects.filter(parent=container)]
        assert container.input_tokens == sum(c.input_tokens for c in children) > 0
        assert container.output_tokens == sum(c.output_tokens for c in children) > 0
        assert all(c.cost is not None for c in children)
        assert container.cost == sum(c.cost or Decimal(0) for c in children)
        runs = sum(
            (c.output or {}).get("metrics", {}).get("agentRuns", 0)
            if c.kind in CONTAINERS
            else int(c.status != "skipped")
            for c in children
        )
        metrics = (container.output or {})["metrics"]
        assert metrics["agentRuns"] == runs
    leaves = Execution.objects.filter(root=root).filter(~Q(kind__in=CONTAINERS))
    assert root.total_tokens == sum([e.total_tokens async for e in leaves])
    assert response["metrics"]["agentRuns"] == await leaves.acount()


async def test_ingested_results_go_through_the_brain_pipeline_into_the_brain(
    llm: FakeLLMServer, project: Project
) -> None:
    from brain.graph import get_backend
    from brain.models import Character, Episode, Scene
    from brain.preparation import brain_documents_ready

    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    entities = [
        {
            "type": "character",
            "name": "Corvin Hale",
            "description": "A grey smuggler.",
            "traits": ["loyal", "ruthless"],
            "relatedTo": [],
        },
        {
            "type": "episode",
            "name": "The Grey Tide",
            "description": "Corvin's bargain.",
            "traits": [],
            "relatedTo": [],
        },
        {
            "type": "scene",
            "name": "Smuggler's Cove",
            "description": "Corvin meets the keeper.",
            "traits": [],
            "relatedTo": [],
        },
        {"type": "note", "name": "Motif", "description": "", "traits": [], "relatedTo": []},
    ]
    report = {
        "summary": "Corvin",
        "report": "r",
        "entities": entities,
        "conflictsResolved": [],
        "openIssues": [],
    }
    llm.script("Synthesise one coherent department report", json_reply(report))
    metadata = {
        "summary": "A morally grey smuggler who trades the lamp's secrets.",
        "themes": ["greed"],
        "tone": "dark",
        "importance": 0.8,
        "category": "antagonist",
        "tags": ["smuggler"],
    }
    llm.script("brain metadata", *[json_reply(metadata)] * 3)
    llm.script("relationship discovery", *[json_reply({"relationships": []})] * 3)

    response = await orchestrate(project, VILLAIN)
    await brain_documents_ready(response["executionId"])  # made after the run answered

    assert response["recommendation"] == "ingest", response
    corvin = await Character.objects.aget(project=project, name="Corvin Hale")
    episode = await Episode.objects.aget(project=project, title="The Grey Tide")
    # The scene names no episode: it goes to the one these results created.
    scene = await Scene.objects.aget(episode=episode, title="Smuggler's Cove")
    for uid in (corvin.uid, episode.uid, scene.uid):
        document = await get_backend().get_document(str(uid))
        assert document is not None and "smuggler" in document.metadata["summary"]
    assert llm.pending_replies == 0  # three entities, two pipeline calls each


def test_an_agent_without_runs_is_estimated_from_the_admin_else_its_roles_average(
    seeded: None,
) -> None:
    from executions.selectors import team_for

    Agent.objects.update(estimated_tokens_per_run=0)  # no starting estimates from the seed
    creator = Agent.objects.get(agent_id="character-creator-001")
    for tokens, cost in ((900, "0.001"), (1100, "0.003")):
        Execution.objects.create(
            kind="specialist",
            agent=creator,
            status="completed",
            total_tokens=tokens,
            cost=Decimal(cost),
        )

    Agent.objects.filter(agent_id="color-theory-001").update(estimated_tokens_per_run=2500)

    team = team_for(None)

    specialists = {s.agent_id: s for d in team.departments for s in d.specialists}
    assert specialists["character-creator-001"].average_tokens == 1000
    assert specialists["art-director-001"].average_tokens == 1000  # the role's average
    assert specialists["art-director-001"].average_cost == pytest.approx(0.002)
    assert specialists["color-theory-001"].average_tokens == 2500  # set in the admin
    assert all(d.head.average_tokens == 0 for d in team.departments)  # no head has run
