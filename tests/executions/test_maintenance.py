"""Interrupted orchestrations are marked failed; old finished runs are purged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from executions.maintenance import cleanup, fail_interrupted_runs, purge_old_executions
from executions.models import Execution, ExecutionEvent
from tests import factories

pytestmark = pytest.mark.django_db


def orchestration(status: str, *, silent_for: timedelta, age: timedelta | None = None) -> Execution:
    project = factories.project()
    root = Execution.objects.create(
        kind="orchestration", project=project, status=status, started_at=timezone.now() - silent_for
    )
    root.root = root
    root.save(update_fields=["root"])
    child = Execution.objects.create(
        kind="specialist", parent=root, root=root, status="running", project=project
    )
    ExecutionEvent.objects.create(execution=root, sequence=1, type="orchestration-start")
    past = timezone.now() - silent_for
    created = timezone.now() - (age or timedelta(0))
    Execution.objects.filter(pk__in=[root.pk, child.pk]).update(updated_at=past, created_at=created)
    return root


def test_an_orchestration_without_heartbeat_is_marked_failed_with_its_runs() -> None:
    silent = orchestration("running", silent_for=timedelta(minutes=5))
    alive = orchestration("running", silent_for=timedelta(seconds=3))

    assert fail_interrupted_runs() == 1

    silent.refresh_from_db()
    assert silent.status == "failed" and "Interrupted" in silent.error["message"]
    assert silent.status_history[-1]["status"] == "failed"
    assert not Execution.objects.filter(root=silent, status="running").exists()
    alive.refresh_from_db()
    assert alive.status == "running"


def test_assume_stopped_fails_every_unfinished_orchestration() -> None:
    orchestration("running", silent_for=timedelta(seconds=1))
    assert cleanup(assume_stopped=True).interrupted == 1


def test_finished_runs_past_retention_are_purged_with_their_events(settings: object) -> None:
    old = orchestration("completed", silent_for=timedelta(days=91), age=timedelta(days=91))
    recent = orchestration("completed", silent_for=timedelta(days=1), age=timedelta(days=1))
    old_unfinished = orchestration(
        "running", silent_for=timedelta(seconds=1), age=timedelta(days=91)
    )

    assert purge_old_executions() > 0

    assert not Execution.objects.filter(pk=old.pk).exists()
    assert not ExecutionEvent.objects.filter(execution_id=old.pk).exists()
    assert Execution.objects.filter(pk__in=[recent.pk, old_unfinished.pk]).count() == 2
