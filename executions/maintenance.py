"""Keeping the run records truthful and bounded: interrupted runs, retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from executions.models import Execution

UNFINISHED = (Execution.Status.PENDING, Execution.Status.RUNNING, Execution.Status.RETRY)


@dataclass(frozen=True)
class CleanupReport:
    interrupted: int
    purged: int


def heartbeat_deadline() -> timedelta:
    return timedelta(seconds=settings.ALADDIN_HEARTBEAT_TIMEOUT_SECONDS)


@transaction.atomic
def fail_interrupted_runs(silent_for: timedelta | None = None) -> int:
    """Orchestrations whose process stopped (restart, crash) never finish by themselves:
    a running one sends a heartbeat every few seconds, so one without a recent heartbeat
    is marked failed, and its unfinished runs with it. Returns how many roots."""
    now = timezone.now()
    stale = list(
        Execution.objects.select_for_update().filter(
            kind=Execution.Kind.ORCHESTRATION,
            status__in=UNFINISHED,
            started_at__isnull=False,
            updated_at__lt=now - (heartbeat_deadline() if silent_for is None else silent_for),
        )
    )
    for root in stale:
        error = {
            "type": "agent_failure",
            "message": "Interrupted: the process running this orchestration stopped "
            f"(no heartbeat since {root.updated_at:%Y-%m-%d %H:%M:%S} UTC). Send it again.",
            "retryable": False,
        }
        Execution.objects.filter(root=root, status__in=UNFINISHED).exclude(pk=root.pk).update(
            status=Execution.Status.FAILED,
            completed_at=now,
            error=error,
            error_type="agent_failure",
            updated_at=now,
        )
        root.status, root.completed_at, root.error = Execution.Status.FAILED, now, error
        root.error_type = "agent_failure"
        root.status_history = [*root.status_history, {"status": "failed", "at": now.isoformat()}]
        root.save(
            update_fields=[
                "status",
                "completed_at",
                "error",
                "error_type",
                "status_history",
                "updated_at",
            ]
        )
    return len(stale)


def purge_old_executions() -> int:
    """Spec 4.1's TTL: finished runs older than the retention period are deleted
    (a root takes its whole tree, events and tool calls with it)."""
    days = settings.ALADDIN_EXECUTION_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    old = Execution.objects.filter(
        created_at__lt=cutoff, status__in=Execution.FINISHED, parent__isnull=True
    )
    deleted, _ = old.delete()
    return deleted


def cleanup(*, assume_stopped: bool = False) -> CleanupReport:
    """`assume_stopped`: no process is running orchestrations now (a single-process
    server about to start), so every unfinished one was interrupted."""
    silent_for = timedelta(0) if assume_stopped else None
    return CleanupReport(
        interrupted=fail_interrupted_runs(silent_for), purged=purge_old_executions()
    )
