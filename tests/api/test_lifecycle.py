"""POST /api/orchestrator/{id}/retry: a finished run goes again as a new attempt."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from aladdin.models import AuditLog
from brain.models import Project
from executions import background
from executions.models import Execution
from executions.services import create_orchestration
from tests.support.fake_llm import FakeLLMServer

pytestmark = pytest.mark.django_db(transaction=True)


def failed_run(project: Project) -> Execution:
    root = create_orchestration(project, "Outline episode 3", in_process=True)
    Execution.objects.filter(pk=root.pk).update(status="failed", worker="")
    root.refresh_from_db()
    return root


def test_retrying_a_failed_run_starts_a_second_attempt_that_completes(
    llm: FakeLLMServer, project: Project, as_role: Callable[[str | None], APIClient]
) -> None:
    root = failed_run(project)

    response = as_role("user").post(f"/api/orchestrator/{root.execution_id}/retry")

    assert response.status_code == 202, response.json()
    assert response.json()["attempt"] == 2 and response.json()["status"] == "pending"
    background.wait_idle(timeout=60)
    root.refresh_from_db()
    assert root.status == "completed", root.error
    assert AuditLog.objects.filter(action="orchestration.retry").count() == 1


def test_a_viewer_may_not_retry_a_run(
    project: Project, as_role: Callable[[str | None], APIClient]
) -> None:
    root = failed_run(project)

    response = as_role("viewer").post(f"/api/orchestrator/{root.execution_id}/retry")

    assert response.status_code == 403
    assert response.json()["permission"] == "agent:execute"


def test_a_run_still_going_is_not_retried(
    project: Project, as_role: Callable[[str | None], APIClient]
) -> None:
    root = failed_run(project)
    Execution.objects.filter(pk=root.pk).update(status="running")

    response = as_role("user").post(f"/api/orchestrator/{root.execution_id}/retry")

    assert response.status_code == 409
    assert "only a finished run" in response.json()["error"]
