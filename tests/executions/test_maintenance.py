"""Interrupted orchestrations are marked failed; old finished runs are purged."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from executions.liveness import this_process
from executions.maintenance import (
    _fail_tree,
    cleanup,
    fail_interrupted_runs,
    purge_old_executions,
)
from executions.models import BudgetAccount, BudgetHold, Execution, ExecutionEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fail_rather_than_resume(settings: object) -> None:
    """These tests are about runs that end; resuming them is tested with the resume."""
    settings.ALADDIN_RESUME_INTERRUPTED = False  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def failing_not_resuming(settings: object) -> None:
    """These tests are about failing what nothing will finish; resuming interrupted
    orchestrations instead (the default) is tested in test_resume.py."""
    settings.ALADDIN_RESUME_INTERRUPTED = False  # type: ignore[attr-defined]


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


def test_assume_stopped_fails_runs_recorded_without_a_process_marker() -> None:
    orchestration("running", silent_for=timedelta(seconds=1))
    assert cleanup().interrupted == 0
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


def test_waiting_runs_are_kept_while_recent_and_purged_once_abandoned(settings: object) -> None:
    settings.ALADDIN_WAITING_RUN_RETENTION_DAYS = 30  # type: ignore[attr-defined]
    waiting = [
        orchestration(status, silent_for=timedelta(days=days), age=timedelta(days=100))
        for status in ("paused", "awaiting_approval")
        for days in (29, 31)
    ]

    assert purge_old_executions() > 0

    kept = Execution.objects.filter(pk__in=[run.pk for run in waiting], parent__isnull=True)
    assert sorted(kept.values_list("status", flat=True)) == ["awaiting_approval", "paused"]
    assert all(run.updated_at > timezone.now() - timedelta(days=30) for run in kept)


def test_waiting_runs_are_kept_forever_when_their_retention_is_zero(settings: object) -> None:
    settings.ALADDIN_WAITING_RUN_RETENTION_DAYS = 0  # type: ignore[attr-defined]
    paused = orchestration("paused", silent_for=timedelta(days=400), age=timedelta(days=400))

    purge_old_executions()

    assert Execution.objects.filter(pk=paused.pk).exists()


def dead_worker() -> str:
    """host:pid of a process that has exited (this host)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}"


def top_run(
    status: str, *, worker: str = "", silent_for: timedelta = timedelta(0), **fields: object
) -> Execution:
    project = factories.project()
    run = Execution.objects.create(project=project, status=status, worker=worker, **fields)
    if run.kind == "orchestration":
        run.root = run
        run.save(update_fields=["root"])
    Execution.objects.filter(pk=run.pk).update(updated_at=timezone.now() - silent_for)
    return run


def test_a_root_killed_before_it_was_marked_running_is_failed() -> None:
    killed = top_run("pending", kind="orchestration", worker=dead_worker())

    assert fail_interrupted_runs() == 1

    killed.refresh_from_db()
    assert killed.status == "failed" and "stopped" in killed.error["message"]
    assert [h["status"] for h in killed.status_history][-1] == "failed"


def test_a_queued_root_waits_for_a_worker_until_the_queue_timeout(settings: object) -> None:
    fresh = top_run("pending", kind="orchestration", silent_for=timedelta(minutes=5))
    forgotten = top_run("pending", kind="orchestration", silent_for=timedelta(hours=2))

    assert cleanup(assume_stopped=True).interrupted == 1

    fresh.refresh_from_db()
    forgotten.refresh_from_db()
    assert fresh.status == "pending"
    assert forgotten.status == "failed" and "queue" in forgotten.error["message"]


def test_assume_stopped_leaves_a_live_cli_run_alone() -> None:
    live = top_run(
        "running", kind="orchestration", worker=this_process(), started_at=timezone.now()
    )

    report = cleanup(assume_stopped=True)

    live.refresh_from_db()
    assert report.interrupted == 0 and live.status == "running"


def test_a_run_whose_process_is_gone_is_failed_at_once_with_its_children() -> None:
    gone = top_run("running", kind="orchestration", worker=dead_worker(), started_at=timezone.now())
    child = Execution.objects.create(kind="specialist", parent=gone, root=gone, status="running")

    assert cleanup().interrupted == 1

    child.refresh_from_db()
    assert child.status == "failed"


def test_a_standalone_agent_run_killed_mid_way_is_failed() -> None:
    killed = top_run("running", kind="agent", worker=dead_worker(), started_at=timezone.now())
    silent = top_run("running", kind="agent", silent_for=timedelta(minutes=5))
    beating = top_run(
        "running", kind="agent", worker="elsewhere:1", silent_for=timedelta(seconds=2)
    )

    assert fail_interrupted_runs() == 2

    statuses = dict(Execution.objects.values_list("pk", "status"))
    assert statuses[killed.pk] == statuses[silent.pk] == "failed"
    assert statuses[beating.pk] == "running"


def test_orphans_under_a_finished_root_are_ended() -> None:
    root = top_run("completed", kind="orchestration")
    Execution.objects.filter(pk=root.pk).update(completed_at=timezone.now() - timedelta(minutes=5))
    orphan = Execution.objects.create(kind="review", parent=root, root=root, status="running")

    assert cleanup().orphans == 1

    orphan.refresh_from_db()
    root.refresh_from_db()
    assert orphan.status == "failed" and root.status == "completed"


def test_cleanup_never_overwrites_a_run_that_ended_meanwhile() -> None:
    run = top_run("running", kind="orchestration", silent_for=timedelta(minutes=5))
    judged = Execution.objects.get(pk=run.pk)
    Execution.objects.filter(pk=run.pk).update(status="completed")

    assert fail_interrupted_runs() == 0
    assert not _fail_tree(judged, "test", timezone.now())

    run.refresh_from_db()
    assert run.status == "completed"


def test_budget_held_by_a_run_that_ended_is_given_back() -> None:
    from asgiref.sync import async_to_sync

    from executions.budgets import DatabaseBudgetStore, open_account

    ended = top_run("failed", kind="orchestration")
    open_account("project:9:today")
    store = DatabaseBudgetStore()
    hold, _ = async_to_sync(store.try_reserve)(
        "project:9:today", (500, 0.25), (1000, None), str(ended.execution_id)
    )
    assert hold is not None

    assert cleanup().released_holds == 1

    account = BudgetAccount.objects.get(key="project:9:today")
    assert (account.reserved_tokens, account.reserved_micros) == (0, 0)
    assert not BudgetHold.objects.exists()


def preparing_documents(worker: str, ended_ago: timedelta = timedelta(0)) -> Execution:
    run = top_run("completed", kind="orchestration", worker=worker, silent_for=ended_ago)
    Execution.objects.filter(pk=run.pk).update(
        params={"brainDocuments": {"status": "preparing", "entities": 2}}
    )
    return run


def documents_status(run: Execution) -> str:
    run.refresh_from_db()
    return str(run.params["brainDocuments"]["status"])


def test_documents_left_preparing_by_a_gone_process_are_marked_interrupted() -> None:
    abandoned = preparing_documents(dead_worker())
    stale = preparing_documents("elsewhere:1", ended_ago=timedelta(hours=2))
    live = preparing_documents(this_process())
    elsewhere = preparing_documents("elsewhere:1", ended_ago=timedelta(minutes=5))

    report = cleanup()

    assert report.documents_interrupted == 2
    assert documents_status(abandoned) == documents_status(stale) == "interrupted"
    assert documents_status(live) == documents_status(elsewhere) == "preparing"
    abandoned.refresh_from_db()
    assert abandoned.params["brainDocuments"]["entities"] == 2


def test_at_server_start_documents_of_runs_without_a_process_marker_are_interrupted() -> None:
    unmarked = preparing_documents("")
    live = preparing_documents(this_process())

    cleanup(assume_stopped=True)

    assert documents_status(unmarked) == "interrupted"
    assert documents_status(live) == "preparing"
