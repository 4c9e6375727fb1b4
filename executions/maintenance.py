"""Keeping the run records truthful and bounded: interrupted runs, retention.

A run is interrupted when nothing will ever finish it: its process stopped
(restart, crash, kill) before or while it ran. Such runs are told apart from
live ones by evidence, never by assumption:
- its process (Execution.worker, host:pid) was on this host and is gone; or
- its heartbeat (updated_at) is older than ALADDIN_HEARTBEAT_TIMEOUT_SECONDS; or
- it waits on a broker that no worker took for ALADDIN_QUEUE_TIMEOUT_SECONDS.
Every change here is conditional, like the recorder's, so a run that is in fact
alive and writes at the same moment is never overwritten, nor overwrites this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from brain.store import DOCUMENTS_PARAM
from executions.budgets import release_holds
from executions.liveness import gone_from_this_host
from executions.models import BudgetAccount, BudgetHold, Execution

UNFINISHED = (Execution.Status.PENDING, Execution.Status.RUNNING, Execution.Status.RETRY)
# Stopped until a person acts (raises the budget and resumes, approves or rejects).
WAITING = (Execution.Status.PAUSED, Execution.Status.AWAITING_APPROVAL)
# A hold no run claims (a direct agent run's) is surely stale after this long.
UNOWNED_HOLD_AGE = timedelta(hours=1)
# A run's brain documents are made by its process within minutes of its end.
DOCUMENTS_DEADLINE = timedelta(hours=1)


@dataclass(frozen=True)
class CleanupReport:
    interrupted: int
    purged: int
    orphans: int = 0
    released_holds: int = 0
    resumed: int = 0
    documents_interrupted: int = 0


def heartbeat_deadline() -> timedelta:
    return timedelta(seconds=settings.ALADDIN_HEARTBEAT_TIMEOUT_SECONDS)


def fail_interrupted_runs(silent_for: timedelta | None = None, *, legacy: bool = False) -> int:
    """Fail every top-level run (an orchestration, a direct agent run) that nothing
    will finish, with its unfinished runs. `legacy`: also runs without a process
    marker (recorded before markers existed). Returns how many top-level runs."""
    now = timezone.now()
    silence = heartbeat_deadline() if silent_for is None else silent_for
    tops = Execution.objects.filter(status__in=UNFINISHED).filter(
        Q(kind=Execution.Kind.ORCHESTRATION) | Q(parent__isnull=True)
    )
    failed = 0
    for run in tops.only("pk", "status", "worker", "updated_at", "status_history", "kind"):
        reason = _why_interrupted(run, now, silence, legacy)
        if reason and _fail_tree(run, reason, now):
            failed += 1
    return failed


def _why_interrupted(run: Execution, now: datetime, silence: timedelta, legacy: bool) -> str:
    seen = f"{run.updated_at:%Y-%m-%d %H:%M:%S} UTC"
    if run.worker and gone_from_this_host(run.worker):
        return f"its process ({run.worker}) stopped; last heartbeat {seen}"
    if run.status == Execution.Status.PENDING and not run.worker:
        waited = timedelta(seconds=settings.ALADDIN_QUEUE_TIMEOUT_SECONDS)
        if run.updated_at < now - waited:
            return f"no worker took it from the queue since {seen}"
        return ""
    if run.updated_at < now - silence:
        return f"the process running it stopped (no heartbeat since {seen})"
    if legacy and not run.worker:
        return "the process running it stopped (the server was restarted)"
    return ""


def _fail_tree(run: Execution, reason: str, now: datetime) -> bool:
    """Fail the run if it is still as it was judged (same status, same heartbeat),
    then its unfinished descendants."""
    noun = "orchestration" if run.kind == Execution.Kind.ORCHESTRATION else "run"
    error = {
        "type": "agent_failure",
        "message": f"Interrupted: {reason}. Send the {noun} again.",
        "retryable": False,
    }
    history = [*run.status_history, {"status": "failed", "at": now.isoformat()}]
    moved = Execution.objects.filter(
        pk=run.pk, status=run.status, updated_at=run.updated_at
    ).update(
        status=Execution.Status.FAILED,
        status_history=history,
        completed_at=now,
        error=error,
        error_type="agent_failure",
        updated_at=now,
    )
    if moved:
        _end_descendants(Q(root_id=run.pk), error, now)
    return bool(moved)


def _end_descendants(which: Q, error: dict[str, Any], now: datetime) -> int:
    return (
        Execution.objects.filter(which, status__in=UNFINISHED)
        .exclude(pk=F("root_id"))
        .update(
            status=Execution.Status.FAILED,
            completed_at=now,
            error=error,
            error_type=error["type"],
            updated_at=now,
        )
    )


def fail_orphans() -> int:
    """Runs left unfinished under a root that ended (a worker killed between the two
    writes, a child that outlived its cancelled parent) end as failed. Only roots that
    ended a heartbeat ago: a child may still be writing its own end."""
    now = timezone.now()
    error = {
        "type": "agent_failure",
        "message": "Ended with its orchestration, which finished before this run did.",
        "retryable": False,
    }
    ended = Q(
        root__status__in=Execution.FINISHED, root__completed_at__lt=now - heartbeat_deadline()
    )
    return _end_descendants(ended, error, now)


def release_stale_holds() -> int:
    """Budget reserved by runs that ended (or crashed) without settling goes back."""
    holders = set(BudgetHold.objects.exclude(holder="").values_list("holder", flat=True))
    live = {
        str(execution_id)
        for execution_id in Execution.objects.filter(
            execution_id__in=list(holders), status__in=UNFINISHED
        ).values_list("execution_id", flat=True)
    }
    stale = BudgetHold.objects.select_related("account").filter(
        Q(holder__in=holders - live)
        | Q(holder="", created_at__lt=timezone.now() - UNOWNED_HOLD_AGE)
    )
    return release_holds(list(stale))


def purge_old_executions() -> int:
    """Spec 4.1's TTL: finished runs older than the retention period are deleted
    (a root takes its whole tree, events and tool calls with it)."""
    BudgetAccount.objects.filter(
        key__startswith="run:", updated_at__lt=timezone.now() - timedelta(days=1), holds=None
    ).delete()
    return _purge(Execution.FINISHED, "created_at", settings.ALADDIN_EXECUTION_RETENTION_DAYS) + (
        _purge(WAITING, "updated_at", settings.ALADDIN_WAITING_RUN_RETENTION_DAYS)
    )


def _purge(statuses: tuple[str, ...], since: str, days: int) -> int:
    """Waiting runs count from their last change (a decision or resume touches them),
    finished ones from their start."""
    if days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    old = Execution.objects.filter(
        **{f"{since}__lt": cutoff}, status__in=statuses, parent__isnull=True
    )
    deleted, _ = old.delete()
    return deleted


def interrupt_abandoned_documents(*, assume_stopped: bool = False) -> int:
    """Ended runs whose brain documents still say "preparing" though no process is
    making them: their process on this host is gone, they ended over DOCUMENTS_DEADLINE
    ago, or (`assume_stopped`) they carry no process marker. They are marked
    "interrupted", which the monitor shows with how to remake them (`brain_prepare`)."""
    stale_before = timezone.now() - DOCUMENTS_DEADLINE
    runs = Execution.objects.filter(
        kind=Execution.Kind.ORCHESTRATION, **{f"params__{DOCUMENTS_PARAM}__status": "preparing"}
    ).exclude(status__in=UNFINISHED)
    marked = 0
    for run in runs.only("pk", "worker", "updated_at"):
        abandoned = (
            (assume_stopped and not run.worker)
            or gone_from_this_host(run.worker)
            or run.updated_at < stale_before
        )
        if abandoned and _interrupt_documents(run.pk):
            marked += 1
    return marked


@transaction.atomic
def _interrupt_documents(pk: int) -> bool:
    """Conditional, like every change here: documents that became ready meanwhile stay."""
    run = Execution.objects.select_for_update().only("params").filter(pk=pk).first()
    state = (run.params or {}).get(DOCUMENTS_PARAM) if run is not None else None
    if run is None or not isinstance(state, dict) or state.get("status") != "preparing":
        return False
    run.params = {**run.params, DOCUMENTS_PARAM: {**state, "status": "interrupted"}}
    run.save(update_fields=["params"])
    return True


def cleanup(*, assume_stopped: bool = False) -> CleanupReport:
    """`assume_stopped` (a single server about to start): also fail runs recorded
    without a process marker. Runs of live processes (a CLI run beside the server)
    are never failed; runs of processes gone from this host are failed at once.
    Interrupted orchestrations are resumed instead (ALADDIN_RESUME_INTERRUPTED)."""
    from executions.resume import resume_interrupted  # builds on this module

    resumed = resume_interrupted(assume_stopped=assume_stopped)
    return CleanupReport(
        resumed=len(resumed),
        interrupted=fail_interrupted_runs(legacy=assume_stopped),
        orphans=fail_orphans(),
        released_holds=release_stale_holds(),
        purged=purge_old_executions(),
        documents_interrupted=interrupt_abandoned_documents(assume_stopped=assume_stopped),
    )
