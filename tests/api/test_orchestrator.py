"""POST /api/orchestrator/execute, GET .../status/{id}, POST .../{id}/cancel."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from brain.models import Project
from executions import background
from executions.models import Execution, ExecutionEvent
from executions.services import create_orchestration
from tests.support.fake_llm import FakeLLMServer

Role = Callable[[str | None], APIClient]
EXECUTE = "/api/orchestrator/execute"
BODY = {"projectId": "the-lantern-keepers", "userPrompt": "Create a villain for episode 2"}

# Runs go on in a background thread with its own connection: it must see committed rows.
runs = pytest.mark.django_db(transaction=True)


@runs
def test_execute_answers_202_at_once_and_the_run_completes(
    as_role: Role, llm: FakeLLMServer
) -> None:
    response = as_role("user").post(EXECUTE, BODY, format="json")

    assert response.status_code == 202
    execution_id = response.json()["executionId"]
    assert response.json()["statusUrl"] == f"/api/orchestrator/status/{execution_id}"
    background.wait_idle(timeout=60)
    run = Execution.objects.get(execution_id=execution_id)
    assert run.status == "completed"
    assert run.requested_by is not None and run.requested_by.username.startswith("user")


@runs
def test_execute_with_wait_returns_the_execute_response(as_role: Role, llm: FakeLLMServer) -> None:
    body = {**BODY, "options": {"wait": True, "maxTokens": 50_000, "priority": "high"}}

    response = as_role("admin").post(EXECUTE, body, format="json")

    assert response.status_code == 200
    result = response.json()
    assert result["status"] == "completed"
    assert result["recommendation"] in {"ingest", "modify", "discard"}
    assert {"totalTime", "tokensUsed", "agentsSpawned"} <= set(result["metrics"])
    assert result["departmentReports"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "userPrompt": "   "}, "userPrompt"),
        ({**BODY, "userPrompt": "x" * 10_001}, "userPrompt"),
        ({**BODY, "options": {"maxTokens": 99}}, "maxTokens"),
        ({**BODY, "options": {"maxTokens": 50_001}}, "maxTokens"),
        ({**BODY, "options": {"qualityThreshold": 101}}, "qualityThreshold"),
        ({**BODY, "options": {"priority": "asap"}}, "priority"),
        ({**BODY, "options": {"colour": "red"}}, "options"),
        ({**BODY, "options": {"wait": "soon"}}, "wait"),
        ({**BODY, "projectId": "not a slug!"}, "projectId"),
        ({**BODY, "conversationId": "nope"}, "conversationId"),
        ({"userPrompt": "hi"}, "projectId"),
    ],
)
def test_execute_refuses_bad_input_with_the_field_and_leaves_no_row(
    as_role: Role, body: dict[str, object], field: str
) -> None:
    response = as_role("user").post(EXECUTE, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Execution.objects.exists()


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ({"maxTokens": 500}, 'maxTokens goes inside "options"'),
        ({"priority": "high"}, 'priority goes inside "options"'),
        ({"prompt": "hi"}, "Unknown field; did you mean userPrompt?"),
        ({"budget": 500}, "Unknown field. The fields are projectId, userPrompt"),
    ],
)
def test_execute_refuses_a_field_it_would_ignore_and_says_where_it_goes(
    as_role: Role, extra: dict[str, object], says: str
) -> None:
    """A budget sent beside the prompt, not in options, was dropped without a word: the
    run went ahead on the project's budget."""
    response = as_role("user").post(EXECUTE, {**BODY, **extra}, format="json")

    assert response.status_code == 400
    [name] = extra
    assert says in response.json()["fields"][name][0]
    assert not Execution.objects.exists()


def test_execute_without_credentials_is_401_with_a_message(project: Project) -> None:
    response = APIClient().post(EXECUTE, BODY, format="json")

    assert response.status_code == 401
    assert response.json()["error"] == "Authentication credentials were not provided."
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_viewer_may_not_start_runs_and_is_told_which_permission(as_role: Role) -> None:
    response = as_role("viewer").post(EXECUTE, BODY, format="json")

    assert response.status_code == 403
    assert response.json()["permission"] == "agent:execute"
    assert "agent:execute" in response.json()["error"]


def test_execute_on_an_unknown_or_foreign_project_is_404(
    as_role: Role, member: Callable[..., object]
) -> None:
    other = Project.objects.create(slug="someone-elses", name="Someone else's")

    assert (
        as_role("user").post(EXECUTE, {**BODY, "projectId": "nope"}, format="json").status_code
        == 404
    )
    foreign = as_role("user").post(EXECUTE, {**BODY, "projectId": str(other.uid)}, format="json")
    assert foreign.status_code == 404


@runs
def test_the_eleventh_run_in_a_minute_is_429_with_retry_after(
    as_role: Role, settings: object, llm: FakeLLMServer
) -> None:
    settings.ALADDIN_EXECUTION_RATE = "2/min"  # type: ignore[attr-defined]
    client = as_role("user")
    bad = {**BODY, "userPrompt": ""}  # refused runs count too: the limit guards the endpoint

    assert client.post(EXECUTE, bad, format="json").status_code == 400
    assert client.post(EXECUTE, BODY, format="json").status_code == 202
    third = client.post(EXECUTE, BODY, format="json")

    assert third.status_code == 429
    assert int(third.headers["Retry-After"]) > 0
    assert "2/min" in third.json()["error"]
    assert Execution.objects.filter(kind="orchestration").count() == 1


@runs
def test_status_reports_progress_phase_departments_and_new_events(
    as_role: Role, project: Project, llm: FakeLLMServer
) -> None:
    client = as_role("viewer")
    result = as_role("user").post(EXECUTE, {**BODY, "options": {"wait": True}}, format="json")
    execution_id = result.json()["executionId"]
    last = ExecutionEvent.objects.filter(execution__execution_id=execution_id).count()

    status = client.get(f"/api/orchestrator/status/{execution_id}").json()
    tail = client.get(f"/api/orchestrator/status/{execution_id}?since={last - 1}").json()

    assert status["status"] == "completed" and status["progress"] == 100
    assert status["currentPhase"] == "complete"
    assert status["departmentsTotal"] >= 1
    assert status["departmentsComplete"] == status["departmentsTotal"]
    assert [e["sequence"] for e in status["events"]] == list(range(1, last + 1))
    assert [e["type"] for e in tail["events"]] == ["orchestration-complete"]
    assert status["partialResults"]["executionId"] == execution_id


def test_status_of_a_pending_run_is_queued_at_zero(as_role: Role, project: Project) -> None:
    root = create_orchestration(project, "Plan episode 3")

    status = as_role("viewer").get(f"/api/orchestrator/status/{root.execution_id}").json()

    assert (status["status"], status["progress"], status["currentPhase"]) == (
        "pending",
        0,
        "queued",
    )
    assert status["events"] == [] and status["partialResults"] is None


def test_status_answers_400_for_a_malformed_id_and_404_for_an_unknown_one(
    as_role: Role,
) -> None:
    client = as_role("viewer")

    assert client.get("/api/orchestrator/status/not-a-uuid").status_code == 400
    assert client.get(f"/api/orchestrator/status/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/api/orchestrator/status/{uuid.uuid4()}?since=-1").status_code == 400


@pytest.mark.parametrize(
    ("action", "body"),
    [("cancel", {"departement": "visual"}), ("approve", {"entity": [0]})],
)
def test_a_misspelt_field_is_refused_before_it_widens_the_action(
    as_role: Role, project: Project, action: str, body: dict[str, object]
) -> None:
    """Dropped, the misspelt field turned 'cancel the visual department' into 'cancel
    the run' and 'store entity 0' into 'store them all'."""
    root = create_orchestration(project, "Plan episode 3")
    Execution.objects.filter(pk=root.pk).update(status="awaiting_approval")
    response = as_role("admin").post(
        f"/api/orchestrator/{root.execution_id}/{action}", body, format="json"
    )

    assert response.status_code == 400
    [name] = body
    assert response.json()["fields"][name][0].startswith("Unknown field")
    root.refresh_from_db()
    assert root.status == "awaiting_approval" and not root.cancel_requested


def test_cancel_flags_the_run_and_a_second_cancel_is_409(as_role: Role, project: Project) -> None:
    root = create_orchestration(project, "Plan episode 3")
    client = as_role("user")

    first = client.post(f"/api/orchestrator/{root.execution_id}/cancel", {}, format="json")
    Execution.objects.filter(pk=root.pk).update(status="cancelled")
    second = client.post(f"/api/orchestrator/{root.execution_id}/cancel", {}, format="json")

    assert first.status_code == 200 and first.json()["cancelled"] is True
    assert Execution.objects.get(pk=root.pk).cancel_requested
    assert second.status_code == 409


def test_cancel_of_a_department_the_run_does_not_have_is_404(
    as_role: Role, project: Project
) -> None:
    root = create_orchestration(project, "Plan episode 3")

    response = as_role("user").post(
        f"/api/orchestrator/{root.execution_id}/cancel", {"department": "audio"}, format="json"
    )

    assert response.status_code == 404
    assert "audio" in response.json()["error"]


def test_a_viewer_may_read_but_not_cancel(as_role: Role, project: Project) -> None:
    root = create_orchestration(project, "Plan episode 3")

    response = as_role("viewer").post(f"/api/orchestrator/{root.execution_id}/cancel")

    assert response.status_code == 403
    assert response.json()["permission"] == "execution:cancel"
    assert not Execution.objects.get(pk=root.pk).cancel_requested


@runs
def test_cancel_reaches_a_running_orchestration(as_role: Role, llm: FakeLLMServer) -> None:
    llm.latency = 0.5
    client = as_role("user")
    execution_id = client.post(EXECUTE, BODY, format="json").json()["executionId"]

    response = client.post(f"/api/orchestrator/{execution_id}/cancel")
    background.wait_idle(timeout=60)

    assert response.status_code == 200
    assert Execution.objects.get(execution_id=execution_id).status == "cancelled"
