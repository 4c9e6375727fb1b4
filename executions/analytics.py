"""Performance analytics of spec 11.1, computed by the database (SQLite and PostgreSQL).

"Executions" are top-level runs (orchestrations and direct agent runs); with a
department, that department's runs. Tokens and cost add up the runs that made
model calls, never the container rows that only sum their children.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone

from brain.models import Project
from executions.models import Execution
from executions.selectors import CONTAINER_KINDS

TIMEFRAMES = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}


def performance(
    projects: QuerySet[Project],
    timeframe: str,
    *,
    department: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    since = (now or timezone.now()) - TIMEFRAMES[timeframe]
    runs = Execution.objects.filter(project__in=projects, created_at__gte=since)
    if department:
        top = runs.filter(kind=Execution.Kind.DEPARTMENT, department__slug=department)
        work = runs.filter(department__slug=department)
    else:
        top, work = runs.filter(parent__isnull=True), runs
    totals = top.aggregate(
        total=Count("pk"),
        finished=Count("pk", filter=Q(status__in=Execution.FINISHED)),
        completed=Count("pk", filter=Q(status=Execution.Status.COMPLETED)),
        avg_time=Avg("execution_time"),
        avg_quality=Avg("overall_score"),
    )
    usage = work.exclude(kind__in=CONTAINER_KINDS).aggregate(
        tokens=Sum("total_tokens"), cost=Sum("cost")
    )
    return {
        "avgExecutionTime": round(float(totals["avg_time"] or 0), 1),
        "avgQualityScore": round(float(totals["avg_quality"] or 0), 2),
        "totalExecutions": totals["total"],
        "successRate": _percent(totals["completed"], totals["finished"]),
        "totalTokensUsed": int(usage["tokens"] or 0),
        "estimatedCost": round(float(usage["cost"] or 0), 6),
        "byDepartment": _by_department(runs, department),
    }


def _by_department(runs: QuerySet[Execution], department: str | None) -> dict[str, Any]:
    rows = runs.filter(kind=Execution.Kind.DEPARTMENT, department__isnull=False)
    if department:
        rows = rows.filter(department__slug=department)
    grouped = (
        rows.values("department__slug")
        .annotate(
            executions=Count("pk"),
            avg_time=Avg("execution_time"),
            avg_quality=Avg("overall_score"),
        )
        .order_by("department__slug")
    )
    return {
        row["department__slug"]: {
            "executions": row["executions"],
            "avgTime": round(float(row["avg_time"] or 0), 1),
            "avgQuality": round(float(row["avg_quality"] or 0), 2),
        }
        for row in grouped
    }


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0
