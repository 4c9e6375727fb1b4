"""Celery tasks: thin wrappers that fetch by id and call a service."""

from __future__ import annotations

import asyncio
from typing import Any

from celery import shared_task

# Redis delivers priority 0 first (RabbitMQ the other way round); see
# CELERY_BROKER_TRANSPORT_OPTIONS. Every priority has its own step in between.
CELERY_PRIORITY = {"urgent": 0, "high": 3, "medium": 6, "low": 9}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_orchestration_task(execution_id: str) -> dict[str, Any]:
    """Redelivered after a lost worker, or twice by accident, it does nothing for a
    run already claimed or ended: run_orchestration claims with a conditional UPDATE.
    The task ends once the run's brain documents are made too (asyncio.run would stop
    them unfinished)."""
    from executions.services import run_with_documents

    return asyncio.run(run_with_documents(execution_id))


def enqueue_orchestration(execution_id: str, priority: str = "medium") -> None:
    """Queue the run once the transaction that created it commits, by priority."""
    run_orchestration_task.apply_async_on_commit(
        (execution_id,), priority=CELERY_PRIORITY.get(priority, CELERY_PRIORITY["medium"])
    )


@shared_task
def cleanup_runs_task() -> dict[str, int]:
    from executions.maintenance import cleanup

    report = cleanup()
    return {
        "resumed": report.resumed,
        "interrupted": report.interrupted,
        "orphans": report.orphans,
        "releasedHolds": report.released_holds,
        "purged": report.purged,
        "documentsInterrupted": report.documents_interrupted,
    }


@shared_task
def rollup_usage_task() -> int:
    from executions.rollups import rollup_recent

    return rollup_recent()


@shared_task
def daily_usage_report_task() -> int:
    from executions.rollups import daily_report

    return len(daily_report())
