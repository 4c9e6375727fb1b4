"""GET /api/executions (ListExecutionsQuery) and GET /api/executions/{executionId}."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from agents.models import Agent
from brain.models import Project, ProjectMembership
from executions.models import Execution, ExecutionEvent, ToolCall
from executions.services import create_orchestration
from tests import factories

Role = Callable[[str | None], APIClient]


def tree(project: Project) -> Execution:
    """An orchestration with one department run, one specialist, an event and a tool call."""
    root = create_orchestration(project, "Create a villain")
    story = Agent.objects.get(agent_id="story-head-001")
    department = Execution.objects.create(
        kind="department",
        agent=story,
        department=story.department,
        project=project,
        parent=root,
        root=root,
        status="completed",
        execution_time=1200,
        overall_score=80,
    )
    specialist = Execution.objects.create(
        kind="specialist",
        parent=department,
        root=root,
        project=project,
        status="completed",
        department=story.department,
        input_tokens=10,
        output_tokens=5,
        total_tokens=15,
    )
    ExecutionEvent.objects.create(execution=root, sequence=1, type="orchestration-start")
    ToolCall.objects.create(
        execution=specialist, tool_name="search_brain", started_at=timezone.now(), input={"q": 1}
    )
    return root


def test_list_filters_by_project_status_department_agent_and_dates(
    as_role: Role, project: Project
) -> None:
    root = tree(project)
    client = as_role("viewer")

    everything = client.get("/api/executions").json()
    departments = client.get("/api/executions?department=story&kind=department").json()
    by_agent = client.get("/api/executions?agentId=story-head-001&status=completed").json()
    future = (timezone.now() + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    none = client.get(f"/api/executions?startDate={future}").json()
    mine = client.get(f"/api/executions?projectId={project.uid}&limit=1").json()

    assert everything["count"] == 3
    assert everything["results"][-1]["executionId"] == str(root.execution_id)
    assert departments["count"] == 1 and departments["results"][0]["department"] == "story"
    assert by_agent["count"] == 1
    assert none["count"] == 0
    assert mine["count"] == 3 and len(mine["results"]) == 1


def test_list_refuses_bad_filters(as_role: Role) -> None:
    client = as_role("viewer")

    assert client.get("/api/executions?status=sleeping").status_code == 400
    assert client.get("/api/executions?startDate=yesterday").status_code == 400
    assert client.get("/api/executions?limit=501").status_code == 400
    assert client.get("/api/executions?conversationId=x").status_code == 400


def test_a_user_never_sees_another_projects_runs(
    as_role: Role, project: Project, member: Callable[..., object]
) -> None:
    other = factories.project(slug="other-show")
    theirs = tree(other)
    client = as_role("admin")

    listed = client.get("/api/executions").json()
    detail = client.get(f"/api/executions/{theirs.execution_id}")
    status = client.get(f"/api/orchestrator/status/{theirs.execution_id}")
    filtered = client.get("/api/executions?projectId=other-show")

    assert listed["count"] == 0
    assert detail.status_code == 404 and status.status_code == 404
    assert filtered.status_code == 404
    # The same words as for a run that does not exist: nothing says this one does.
    hidden = f"No run {theirs.execution_id} that you can read. GET /api/executions lists yours."
    assert detail.json()["error"] == status.json()["error"] == hidden
    unknown = uuid.uuid4()
    missing = client.post(f"/api/orchestrator/{unknown}/cancel").json()["error"]
    assert missing == hidden.replace(str(theirs.execution_id), str(unknown))


def test_detail_has_children_events_and_tool_calls(as_role: Role, project: Project) -> None:
    root = tree(project)

    body = as_role("viewer").get(f"/api/executions/{root.execution_id}").json()

    assert [c["kind"] for c in body["children"]] == ["department"]
    assert [e["type"] for e in body["events"]] == ["orchestration-start"]
    assert [t["toolName"] for t in body["toolCalls"]] == ["search_brain"]
    assert body["prompt"] == "Create a villain" and body["status"] == "pending"


def test_detail_of_a_malformed_or_unknown_id(as_role: Role) -> None:
    client = as_role("viewer")

    assert client.get("/api/executions/123").status_code == 400
    assert client.get(f"/api/executions/{uuid.uuid4()}").status_code == 404
    assert APIClient().get(f"/api/executions/{uuid.uuid4()}").status_code == 401


def test_pages_run_newest_first_across_every_project_and_the_callers_own_runs(
    member: Callable[..., object], project: Project
) -> None:
    other = factories.project(slug="second-show")
    user: Any = member("viewer", project)
    ProjectMembership.objects.create(project=other, user=user, role="viewer")
    hidden = factories.project(slug="not-mine")
    start = timezone.now()
    made = []
    for n in range(9):  # interleaved in time across both projects and no project
        where = [project, other, None][n % 3]
        run = Execution.objects.create(
            kind="orchestration", project=where, requested_by=user, prompt=str(n)
        )
        Execution.objects.filter(pk=run.pk).update(created_at=start + timedelta(seconds=n))
        made.append(str(run.execution_id))
    Execution.objects.create(kind="orchestration", project=hidden, prompt="not mine")
    Execution.objects.create(kind="orchestration", project=None, prompt="someone else's")
    client = APIClient()
    client.force_authenticate(user)

    pages = [client.get(f"/api/executions?limit=4&offset={o}").json() for o in (0, 4, 8)]

    assert [p["count"] for p in pages] == [9, 9, 9]
    listed = [r["executionId"] for p in pages for r in p["results"]]
    assert listed == made[::-1]


def test_a_superuser_pages_through_every_run_newest_first(project: Project) -> None:
    admin = get_user_model().objects.create_superuser("root", password="pw-long-enough-1")
    start = timezone.now()
    made = []
    for n in range(5):
        run = Execution.objects.create(kind="orchestration", project=project, prompt=str(n))
        Execution.objects.filter(pk=run.pk).update(created_at=start + timedelta(seconds=n))
        made.append(str(run.execution_id))
    client = APIClient()
    client.force_authenticate(admin)

    first = client.get("/api/executions?limit=3").json()
    second = client.get("/api/executions?limit=3&offset=3").json()

    assert first["count"] == second["count"] == 5
    assert [r["executionId"] for r in first["results"] + second["results"]] == made[::-1]


def test_a_caller_not_signed_in_sees_no_run_not_even_one_nobody_requested(
    project: Project,
) -> None:
    from django.contrib.auth.models import AnonymousUser

    from api.selectors import list_executions, visible_executions

    Execution.objects.create(kind="orchestration", project=None, prompt="nobody's")
    tree(project)

    assert list_executions(AnonymousUser(), {}).page(20, 0) == ([], 0)
    assert not visible_executions(AnonymousUser()).exists()
