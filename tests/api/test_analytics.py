"""GET /api/analytics/performance: database aggregation over the caller's projects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from rest_framework.test import APIClient

from brain.models import Project
from departments.models import Department
from executions.models import Execution
from tests import factories

Role = Callable[[str | None], APIClient]


def run(project: Project, **fields: object) -> Execution:
    return Execution.objects.create(project=project, **fields)


def test_performance_aggregates_runs_departments_tokens_and_cost(
    as_role: Role, project: Project
) -> None:
    story = Department.objects.get(slug="story")
    first = run(
        project, kind="orchestration", status="completed", execution_time=1000, overall_score=80
    )
    run(project, kind="orchestration", status="failed", execution_time=3000)
    run(
        project,
        kind="department",
        parent=first,
        department=story,
        status="completed",
        execution_time=500,
        overall_score=90,
        total_tokens=999,
    )
    run(
        project,
        kind="specialist",
        parent=first,
        department=story,
        status="completed",
        total_tokens=120,
        cost=Decimal("0.25"),
    )
    run(
        project,
        kind="agent",
        status="completed",
        execution_time=2000,
        total_tokens=30,
        cost=Decimal("0.05"),
    )
    old = run(project, kind="agent", status="completed", total_tokens=5000)
    Execution.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    run(factories.project(), kind="agent", status="completed", total_tokens=7000)

    body = as_role("viewer").get("/api/analytics/performance?timeframe=24h").json()
    week = as_role("viewer").get("/api/analytics/performance?timeframe=7d").json()

    assert body["totalExecutions"] == 3
    assert body["avgExecutionTime"] == 2000.0
    assert body["avgQualityScore"] == 80.0
    assert body["successRate"] == 66.67
    assert body["totalTokensUsed"] == 150  # container rows are not counted twice
    assert body["estimatedCost"] == 0.3
    assert body["byDepartment"] == {
        "story": {"executions": 1, "avgTime": 500.0, "avgQuality": 90.0}
    }
    assert week["totalExecutions"] == 4 and week["totalTokensUsed"] == 5150


def test_performance_narrows_to_one_department(as_role: Role, project: Project) -> None:
    story = Department.objects.get(slug="story")
    run(project, kind="department", department=story, status="completed", execution_time=400)
    run(project, kind="specialist", department=story, status="completed", total_tokens=11)
    run(project, kind="agent", status="completed", total_tokens=1000)

    body = (
        as_role("viewer")
        .get(f"/api/analytics/performance?timeframe=30d&department=story&projectId={project.slug}")
        .json()
    )

    assert body["totalExecutions"] == 1 and body["totalTokensUsed"] == 11
    assert list(body["byDepartment"]) == ["story"]


def test_performance_needs_a_timeframe_and_a_readable_project(
    as_role: Role, project: Project
) -> None:
    factories.project(slug="elsewhere")
    client = as_role("viewer")

    assert client.get("/api/analytics/performance").status_code == 400
    assert client.get("/api/analytics/performance?timeframe=1y").status_code == 400
    assert (
        client.get("/api/analytics/performance?timeframe=90d&projectId=elsewhere").status_code
        == 404
    )
    assert as_role(None).get("/api/analytics/performance?timeframe=7d").status_code == 403
