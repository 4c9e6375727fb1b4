"""GET/POST /api/agents, GET/PUT/PATCH/DELETE /api/agents/{agentId}, POST /api/agents/execute."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from agents.models import Agent
from aladdin.models import AuditLog
from brain.models import Project
from executions.models import Execution, ExecutionEvent
from tests.support.fake_llm import FakeLLMServer, json_reply

Role = Callable[[str | None], APIClient]
NEW_AGENT = {
    "agentId": "story-tone-001",
    "name": "Tone Keeper",
    "department": "story",
    "isDepartmentHead": False,
    "model": "",
    "instructionsPrompt": "Keep the tone.",
    "toolNames": ["search_brain"],
    "skills": ["tone"],
}


def test_list_filters_by_department_head_flag_and_pages(as_role: Role) -> None:
    client = as_role("viewer")

    heads = client.get("/api/agents?isDepartmentHead=true").json()
    story = client.get("/api/agents?department=story&limit=2&offset=1").json()

    assert heads["count"] == 6
    assert all(a["isDepartmentHead"] and a["role"] == "department_head" for a in heads["results"])
    assert story["count"] == Agent.objects.filter(department__slug="story").count()
    assert len(story["results"]) == 2 and story["offset"] == 1
    assert {a["department"] for a in story["results"]} == {"story"}


def test_list_refuses_a_bad_limit_and_needs_a_membership(
    as_role: Role, member: Callable[..., object]
) -> None:
    assert as_role("viewer").get("/api/agents?limit=0").status_code == 400
    outsider = as_role(None).get("/api/agents")
    assert outsider.status_code == 403 and outsider.json()["permission"] == "agent:read"
    assert APIClient().get("/api/agents").status_code == 401


def test_create_makes_version_one_with_its_tools(as_role: Role) -> None:
    response = as_role("admin").post("/api/agents", NEW_AGENT, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["version"] == "1.0.0" and body["toolNames"] == ["search_brain"]
    assert body["requiresReview"] is True  # a specialist, spec 4.1
    assert AuditLog.objects.filter(action="agent.create", resource_id="story-tone-001").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"isDepartmentHead": True, "requiresReview": False}, "nonFieldErrors"),
        ({"isDepartmentHead": True, "requiresReview": True}, "nonFieldErrors"),
        ({"instructionsPrompt": "x" * 50_001}, "instructionsPrompt"),
        ({"name": "n" * 201}, "name"),
        ({"description": "d" * 2001}, "description"),
        ({"qualityThreshold": 101}, "qualityThreshold"),
        ({"agentId": "bad id!"}, "agentId"),
        ({"agentId": "story-head-001"}, "agentId"),
        ({"department": "nowhere"}, "department"),
        ({"toolNames": ["no_such_tool"]}, "tools"),
    ],
)
def test_create_enforces_the_admin_rules_with_field_errors(
    as_role: Role, changes: dict[str, object], field: str
) -> None:
    response = as_role("admin").post("/api/agents", {**NEW_AGENT, **changes}, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"], response.json()
    assert not Agent.objects.filter(agent_id="story-tone-001").exists()


def test_a_user_may_read_but_not_configure_agents(as_role: Role) -> None:
    response = as_role("user").post("/api/agents", NEW_AGENT, format="json")

    assert response.status_code == 403
    assert response.json()["permission"] == "agent:configure"


def test_update_bumps_the_version_and_writes_the_changelog_like_the_admin(as_role: Role) -> None:
    client = as_role("admin")

    response = client.put(
        "/api/agents/story-head-001", {"qualityThreshold": 90, "isActive": True}, format="json"
    )
    unchanged = client.patch("/api/agents/story-head-001", {"qualityThreshold": 90}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == "1.0.1" and body["qualityThreshold"] == 90
    assert body["changelog"][-1]["fields"] == ["quality_threshold"]
    assert body["changelog"][-1]["author"].startswith("admin")
    assert unchanged.json()["version"] == "1.0.1"
    audit = AuditLog.objects.get(action="agent.update", resource_id="story-head-001")
    assert audit.changes == {"fields": ["quality_threshold"], "version": "1.0.1"}


def test_update_refuses_a_misspelt_field_and_takes_its_own_representation_back(
    as_role: Role,
) -> None:
    client = as_role("admin")

    typo = client.patch(
        "/api/agents/story-head-001", {"instructionPrompt": "Be brief."}, format="json"
    )
    echoed = client.get("/api/agents/story-head-001").json()
    round_trip = client.put(
        "/api/agents/story-head-001", {**echoed, "qualityThreshold": 91}, format="json"
    )

    assert typo.status_code == 400
    assert typo.json()["fields"]["instructionPrompt"] == [
        "Unknown field; did you mean instructionsPrompt?"
    ]
    assert round_trip.status_code == 200, round_trip.json()
    assert round_trip.json()["qualityThreshold"] == 91


def test_making_a_second_head_is_refused_and_changes_nothing(as_role: Role) -> None:
    specialist = Agent.objects.filter(department__slug="story", is_department_head=False).first()
    assert specialist is not None

    response = as_role("admin").patch(
        f"/api/agents/{specialist.agent_id}",
        {"isDepartmentHead": True, "requiresReview": False},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["fields"]["nonFieldErrors"] == [
        "This department already has a department head."
    ]
    specialist.refresh_from_db()
    assert not specialist.is_department_head and specialist.version == "1.0.0"


def test_get_and_delete_an_agent(as_role: Role) -> None:
    client = as_role("admin")
    client.post("/api/agents", NEW_AGENT, format="json")

    assert client.get("/api/agents/story-tone-001").json()["name"] == "Tone Keeper"
    assert client.delete("/api/agents/story-tone-001").status_code == 204
    assert client.get("/api/agents/story-tone-001").status_code == 404
    assert client.delete("/api/agents/story-tone-001").status_code == 404
    assert client.get("/api/agents/bad%20id").status_code == 400
    assert AuditLog.objects.filter(action="agent.delete", resource_id="story-tone-001").exists()


def test_execute_runs_one_agent_and_records_it_with_events(
    as_role: Role, project: Project, llm: FakeLLMServer
) -> None:
    llm.script(lambda body: True, json_reply({"summary": "Mara fears the dark"}))
    body = {
        "agentId": "character-creator-001",
        "projectId": "the-lantern-keepers",
        "prompt": "What does Mara fear?",
        "context": {"scene": 3},
    }

    response = as_role("user").post("/api/agents/execute", body, format="json")

    assert response.status_code == 200, response.json()
    result = response.json()
    assert result["status"] == "completed"
    assert (
        result["tokenUsage"]["total"]
        == result["tokenUsage"]["input"] + result["tokenUsage"]["output"]
    )
    run = Execution.objects.get(execution_id=result["executionId"])
    assert run.kind == "agent" and run.project == project
    types = list(ExecutionEvent.objects.filter(execution=run).values_list("type", flat=True))
    assert types[-1] == "specialist-complete" and "specialist-executing" in types
    assert '"scene": 3' in llm.requests[-1]["messages"][-1]["content"]
    assert AuditLog.objects.filter(action="agent.execute", resource_id=str(run.execution_id))


def test_execute_stays_within_the_projects_budget(
    as_role: Role, project: Project, llm: FakeLLMServer
) -> None:
    Project.objects.filter(pk=project.pk).update(token_budget_per_execution=1)
    body = {"agentId": "character-creator-001", "projectId": project.slug, "prompt": "Hi"}

    response = as_role("user").post("/api/agents/execute", body, format="json")

    assert response.json()["status"] in {"failed", "skipped"}
    assert response.json()["error"]["type"] == "budget_exceeded"
    assert llm.requests == []


def test_execute_refuses_unknown_or_inactive_agents_and_empty_prompts(as_role: Role) -> None:
    client = as_role("user")
    base = {"agentId": "character-creator-001", "projectId": "the-lantern-keepers"}
    Agent.objects.filter(agent_id="story-head-001").update(is_active=False)

    assert (
        client.post("/api/agents/execute", {**base, "prompt": ""}, format="json").status_code == 400
    )
    unknown = client.post(
        "/api/agents/execute", {**base, "agentId": "nobody", "prompt": "Hi"}, format="json"
    )
    inactive = client.post(
        "/api/agents/execute", {**base, "agentId": "story-head-001", "prompt": "Hi"}, format="json"
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "No agent 'nobody'. GET /api/agents lists them."
    assert inactive.status_code == 400 and "agentId" in inactive.json()["fields"]
    missing = client.get("/api/agents/nobody")
    assert missing.json()["error"] == "No agent 'nobody'. GET /api/agents lists them."


def test_execute_refuses_a_field_it_would_ignore(as_role: Role) -> None:
    body = {
        "agentId": "character-creator-001",
        "projectId": "the-lantern-keepers",
        "prompt": "Hi",
        "userPrompt": "Hi",
    }
    response = as_role("user").post("/api/agents/execute", body, format="json")

    assert response.status_code == 400
    assert response.json()["fields"]["userPrompt"] == ["Unknown field; did you mean prompt?"]
    assert not Execution.objects.exists()


def test_execute_counts_against_the_same_rate_limit(
    as_role: Role, settings: object, llm: FakeLLMServer
) -> None:
    settings.ALADDIN_EXECUTION_RATE = "1/min"  # type: ignore[attr-defined]
    client = as_role("user")
    body = {"agentId": "character-creator-001", "projectId": "the-lantern-keepers", "prompt": "Hi"}

    assert client.post("/api/agents/execute", body, format="json").status_code == 200
    assert client.post("/api/agents/execute", body, format="json").status_code == 429
