"""Celery tasks: thin wrappers that fetch by id and call a service."""

from __future__ import annotations

import asyncio
from typing import Any

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_orchestration_task(execution_id: str) -> dict[str, Any]:
    from executions.services import run_orchestration

    return asyncio.run(run_orchestration(execution_id))


@shared_task
def cleanup_runs_task() -> dict[str, int]:
    from executions.maintenance import cleanup

    report = cleanup()
    return {"interrupted": report.interrupted, "purged": report.purged}
