"""Periodic roll-ups: spend per project, department and day, and the daily report.

Runs are deleted after the retention period; these rows are not, so spend
history outlives the runs. A day's rows are recomputed from its runs in one
transaction, which makes the roll-up idempotent and safe to repeat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from aladdin import audit
from executions.models import DailyUsage, Execution
from executions.recorder import CONTAINER_KINDS


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


def rollup_day(day: date) -> int:
    """Recompute the day's usage rows from its agent runs; returns how many rows."""
    start, end = day_bounds(day)
    # Leaf runs only: container rows repeat their children's sums.
    groups = (
        Execution.objects.filter(created_at__gte=start, created_at__lt=end, project__isnull=False)
        .exclude(kind__in=CONTAINER_KINDS)
        .values("project_id", "department_id")
        .annotate(
            runs=Count("pk"),
            failed=Count("pk", filter=Q(status=Execution.Status.FAILED)),
            tokens_in=Coalesce(Sum("input_tokens"), 0),
            tokens_out=Coalesce(Sum("output_tokens"), 0),
            spent=Coalesce(Sum("cost"), Decimal(0)),
        )
    )
    rows = [
        DailyUsage(
            project_id=group["project_id"],
            department_id=group["department_id"],
            day=day,
            runs=group["runs"],
            failed_runs=group["failed"],
            input_tokens=group["tokens_in"],
            output_tokens=group["tokens_out"],
            cost=group["spent"],
        )
        for group in groups
    ]
    with transaction.atomic():
        DailyUsage.objects.filter(day=day).delete()
        DailyUsage.objects.bulk_create(rows)
    return len(rows)


def rollup_recent() -> int:
    """Today and yesterday (runs that finished after midnight belong to yesterday's rows)."""
    today = timezone.localdate()
    return rollup_day(today - timedelta(days=1)) + rollup_day(today)


@dataclass(frozen=True)
class ProjectDay:
    project_id: int
    project: str
    runs: int
    failed_runs: int
    tokens: int
    cost: Decimal


def daily_totals(day: date) -> list[ProjectDay]:
    totals = (
        DailyUsage.objects.filter(day=day)
        .values("project_id", "project__slug")
        .annotate(
            all_runs=Sum("runs"),
            all_failed=Sum("failed_runs"),
            tokens=Sum("input_tokens") + Sum("output_tokens"),
            spent=Sum("cost"),
        )
        .order_by("project__slug")
    )
    return [
        ProjectDay(
            project_id=t["project_id"],
            project=t["project__slug"],
            runs=t["all_runs"],
            failed_runs=t["all_failed"],
            tokens=t["tokens"],
            cost=t["spent"],
        )
        for t in totals
    ]


def daily_report(day: date | None = None) -> list[ProjectDay]:
    """Yesterday's final totals per project, written to the audit log (one entry each)."""
    day = day or timezone.localdate() - timedelta(days=1)
    rollup_day(day)
    totals = daily_totals(day)
    for total in totals:
        audit.record(
            "usage.daily_report",
            "project",
            total.project,
            changes={
                "day": day.isoformat(),
                "runs": total.runs,
                "failedRuns": total.failed_runs,
                "tokens": total.tokens,
                "cost": str(total.cost),
            },
        )
    return totals
