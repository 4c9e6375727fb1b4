"""Data migrations of executions, run on rows shaped like those recorded before them."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from brain.models import Project
from executions.models import Execution

pytestmark = pytest.mark.django_db

container_scores = importlib.import_module("executions.migrations.0010_container_scores")


def test_container_scores_are_copied_from_the_output_of_runs_recorded_before(
    project: Project,
) -> None:
    graded = Execution.objects.create(
        project=project,
        kind="orchestration",
        status="completed",
        output={"overallQuality": 85.0, "consistency": 90.0, "decision": "accept"},
    )
    failed = Execution.objects.create(
        project=project,
        kind="orchestration",
        status="failed",
        output={"overallQuality": 0.0, "decision": "reject"},
    )
    department = Execution.objects.create(
        project=project,
        kind="department",
        parent=graded,
        status="completed",
        output={"score": 72.5, "scores": {"overall": 72.5, "quality": 70}, "decision": "retry"},
    )
    scored = Execution.objects.create(
        project=project,
        kind="department",
        parent=graded,
        status="completed",
        overall_score=40,
        decision="reject",
        output={"scores": {"overall": 99}, "decision": "accept"},
    )

    container_scores.copy_scores(apps, None)

    graded.refresh_from_db()
    assert (graded.overall_score, graded.consistency_score, graded.decision) == (
        85.0,
        90.0,
        "accept",
    )
    failed.refresh_from_db()
    assert failed.overall_score is None and failed.decision == ""
    department.refresh_from_db()
    assert (department.overall_score, department.quality_score, department.decision) == (
        72.5,
        70.0,
        "retry",
    )
    scored.refresh_from_db()
    assert (scored.overall_score, scored.decision) == (40.0, "reject")
