"""Resuming and retrying orchestrations from their checkpoints (engine.resume).

A root is reopened in one transaction: it goes back to `pending` (a conditional
UPDATE from the status it was seen in, so two callers never both reopen it),
its unfinished agent runs end as cancelled (their process is gone), and its
department rows go back to `pending` for the engine to reopen. Then it is run
again like any pending run: `run_orchestration` claims it with a conditional
UPDATE, and the engine reuses every finished run, paying only for the rest.

- After a crash (`resume_interrupted`, from `cleanup_runs` and the periodic
  cleanup task): on Celery the run is queued again; in the embedded default the
  server resumes it at start (`resume_waiting_runs`, from aladdin/asgi.py).
- After it ended (`retry_orchestration`): failed, cancelled and budget-skipped
  work runs again as a new attempt of the same root.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from aladdin import audit
from brain.store import STORED_PARAM
from engine.resume import KEY_PARAM
from executions.maintenance import UNFINISHED, _why_interrupted, heartbeat_deadline
from executions.models import Execution

logger = logging.getLogger(__name__)
RETRYABLE = (Execution.Status.FAILED, Execution.Status.CANCELLED, Execution.Status.COMPLETED)


class NotRetryable(Exception):
    """The run cannot be retried (still running, or not an orchestration)."""


def reopen(root: Execution, reason: str, *, attempt: bool = False) -> bool:
    """Put the root back to pending from the status it was seen in. False when
    another process changed it first (resumed it, finished it)."""
    now = timezone.now()
    params = dict(root.params)
    params["resume"] = True
    if attempt:
        params["attempt"] = int(params.get("attempt") or 1) + 1
        # A new attempt stores what it recomputes; a resume after a crash keeps the
        # mark so results already in the brain are not written twice (brain/store.py).
        params.pop(STORED_PARAM, None)
    history = [*root.status_history, {"status": "pending", "at": now.isoformat(), "note": reason}]
    with transaction.atomic():
        moved = Execution.objects.filter(
            pk=root.pk, status=root.status, updated_at=root.updated_at
        ).update(
            status=Execution.Status.PENDING,
            status_history=history,
            params=params,
            worker="",
            completed_at=None,
            cancel_requested=False,
            updated_at=now,
        )
        if not moved:
            return False
        _reopen_tree(root.pk, reason, now)
    return True


def _reopen_tree(root_pk: int, reason: str, now: datetime) -> None:
    below = Execution.objects.filter(root_id=root_pk).exclude(pk=root_pk)
    error = {"type": "cancelled", "message": f"Interrupted: {reason}.", "retryable": True}
    below.filter(status__in=UNFINISHED).exclude(kind=Execution.Kind.DEPARTMENT).update(
        status=Execution.Status.CANCELLED,
        completed_at=now,
        error=error,
        error_type="cancelled",
        updated_at=now,
    )
    below.filter(kind=Execution.Kind.DEPARTMENT, params__has_key=KEY_PARAM).update(
        status=Execution.Status.PENDING,
        completed_at=None,
        cancel_requested=False,
        updated_at=now,
    )


def resume_interrupted(*, assume_stopped: bool = False) -> list[str]:
    """Orchestrations whose process stopped (gone from this host, or no heartbeat for
    ALADDIN_HEARTBEAT_TIMEOUT_SECONDS) go back to pending to be resumed; on Celery they
    are queued again at once. Returns their execution ids."""
    if not settings.ALADDIN_RESUME_INTERRUPTED:
        return []
    now, silence = timezone.now(), heartbeat_deadline()
    candidates = Execution.objects.filter(kind=Execution.Kind.ORCHESTRATION).filter(
        Q(status=Execution.Status.RUNNING) | Q(status=Execution.Status.PENDING, worker__gt="")
    )
    resumed = []
    for root in candidates:
        reason = _why_interrupted(root, now, silence, assume_stopped)
        if reason and reopen(root, reason):
            resumed.append(str(root.execution_id))
            audit.record(
                "orchestration.resume", "execution", root.execution_id, changes={"reason": reason}
            )
            if not settings.CELERY_TASK_ALWAYS_EAGER:
                _enqueue(root)
    if resumed:
        logger.info("Resuming %d interrupted orchestration(s): %s", len(resumed), resumed)
    return resumed


def _enqueue(root: Execution) -> None:
    from executions.tasks import enqueue_orchestration

    priority = str(root.params.get("options", {}).get("priority") or "medium")
    enqueue_orchestration(str(root.execution_id), priority)


def has_work_to_retry(root: Execution) -> bool:
    """A finished run with something a retry would run again: it did not complete, or
    some of its runs failed, were cancelled or were skipped for budget."""
    if root.status not in RETRYABLE:
        return False
    if root.status != Execution.Status.COMPLETED:
        return True
    undone = (Execution.Status.FAILED, Execution.Status.CANCELLED, Execution.Status.SKIPPED)
    return Execution.objects.filter(root=root, status__in=undone).exists()


def retry_orchestration(root: Execution, user_id: int | None = None) -> Execution:
    """A finished orchestration runs again as a new attempt: what completed is reused,
    what failed, was cancelled or skipped for budget runs again, and the department
    reports and the result are recomputed. Raises NotRetryable."""
    if root.kind != Execution.Kind.ORCHESTRATION:
        raise NotRetryable("Only an orchestration can be retried.")
    if root.status not in RETRYABLE:
        raise NotRetryable(f"The run is {root.status}; only a finished run can be retried.")
    if not reopen(root, "retried", attempt=True):
        raise NotRetryable("The run changed meanwhile; reload it and try again.")
    audit.record(
        "orchestration.retry",
        "execution",
        root.execution_id,
        user_id=user_id,
        changes={"from": root.status},
    )
    root.refresh_from_db()
    start_again(root)
    return root


def resume_paused(root: Execution, user_id: int | None = None) -> Execution:
    """A run paused at its budget goes on from its checkpoints (after someone raised
    the budget: with none left it pauses again at once). Raises NotRetryable."""
    if root.status != Execution.Status.PAUSED:
        raise NotRetryable(f"The run is {root.status}; only a paused run can be resumed.")
    if not reopen(root, "resumed after a budget pause"):
        raise NotRetryable("The run changed meanwhile; reload it and try again.")
    audit.record("orchestration.resume", "execution", root.execution_id, user_id=user_id)
    root.refresh_from_db()
    start_again(root)
    return root


def start_again(root: Execution) -> None:
    """Run a reopened root: queued on Celery, else on this process's run loop."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        _enqueue(root)
        return
    from executions.background import submit
    from executions.services import launch

    execution_id = str(root.execution_id)
    transaction.on_commit(lambda: submit(launch(execution_id)))


async def resume_waiting(limit: int = 100) -> list[str]:
    """Launch reopened runs in this process (the embedded default, at server start)."""
    from executions.services import launch

    ids = [
        str(execution_id)
        async for execution_id in Execution.objects.filter(
            kind=Execution.Kind.ORCHESTRATION,
            status=Execution.Status.PENDING,
            worker="",
            params__resume=True,
        ).values_list("execution_id", flat=True)[:limit]
    ]
    for execution_id in ids:
        await launch(execution_id)
    return ids


def resume_waiting_runs() -> None:
    """At server start in the embedded default: run what `cleanup_runs` reopened."""
    if not settings.CELERY_TASK_ALWAYS_EAGER or not settings.ALADDIN_RESUME_INTERRUPTED:
        return
    if settings.TESTING:
        return
    from executions.background import submit

    submit(resume_waiting())
