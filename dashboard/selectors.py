"""Reads for the dashboard's pages. Every query is limited to what the user may read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from agents.models import Agent
from brain.access import projects_with
from brain.models import Project
from departments.models import Department
from executions.models import Execution
from executions.selectors import CONTAINER_KINDS, spent_today

RECENT_REQUESTS = 5


@dataclass
class ProjectCard:
    project: Project
    recent: list[Execution]
    running: int
    tokens_today: int
    usd_today: float

    @property
    def token_share(self) -> int:
        budget = self.project.token_budget_daily or 0
        return min(100, int(100 * self.tokens_today / budget)) if budget else 0

    @property
    def usd_share(self) -> int | None:
        budget = self.project.usd_budget_daily
        if not budget:
            return None
        return min(100, int(100 * self.usd_today / float(budget)))


def project_cards(user: Any) -> list[ProjectCard]:
    cards = []
    for project in projects_with(user, "project:read").order_by("name"):
        runs = orchestrations().filter(project=project)
        tokens, usd = spent_today(project)
        cards.append(
            ProjectCard(
                project=project,
                recent=list(runs[:RECENT_REQUESTS]),
                running=runs.filter(status__in=["pending", "running"]).count(),
                tokens_today=tokens,
                usd_today=usd,
            )
        )
    return cards


def orchestrations() -> QuerySet[Execution]:
    return (
        Execution.objects.filter(kind=Execution.Kind.ORCHESTRATION, parent__isnull=True)
        .select_related("project", "requested_by")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class RunFilters:
    project: str = ""
    status: str = ""
    department: str = ""
    agent: str = ""
    day: date | None = None


def filtered_runs(user: Any, filters: RunFilters) -> QuerySet[Execution]:
    runs = orchestrations().filter(project__in=projects_with(user, "execution:read"))
    if filters.project:
        runs = runs.filter(project__slug=filters.project)
    if filters.status:
        runs = runs.filter(status=filters.status)
    if filters.department:
        runs = runs.filter(
            descendants__kind=Execution.Kind.DEPARTMENT,
            descendants__department__slug=filters.department,
        )
    if filters.agent:
        runs = runs.filter(descendants__agent__agent_id=filters.agent)
    if filters.day:
        runs = runs.filter(created_at__date=filters.day)
    return runs.distinct()


@dataclass
class AgentRow:
    agent: Agent
    cost: Decimal | None

    @property
    def model(self) -> str:
        """The model the agent answers with when no tier override applies."""
        department = self.agent.department
        return (
            self.agent.model
            or (department.default_model if department else "")
            or settings.ALADDIN_DEFAULT_MODEL
        )


def agents_by_department() -> tuple[list[tuple[Department, list[AgentRow]]], list[AgentRow]]:
    """Each department's agents with their metrics, and the agents of no department."""
    totals = (
        Execution.objects.exclude(kind__in=CONTAINER_KINDS)
        .filter(agent__isnull=False)
        .values("agent")
        .annotate(total=Sum("cost"))
    )
    costs: dict[int, Decimal | None] = {int(row["agent"]): row["total"] for row in totals}
    agents = Agent.objects.select_related("department").order_by(
        "department__priority", "-is_department_head", "agent_id"
    )
    groups: dict[int | None, list[AgentRow]] = {}
    for agent in agents:
        row = AgentRow(agent, costs.get(agent.pk, Decimal(0)))
        groups.setdefault(agent.department_id, []).append(row)
    departments = {d.pk: d for d in Department.objects.all()}
    ordered = [(departments[pk], rows) for pk, rows in groups.items() if pk in departments]
    return ordered, groups.get(None, [])


# ------------------------------------------------------------------------------ charts
QUALITY_BINS = [(0, 50), (50, 60), (60, 70), (70, 80), (80, 90), (90, 101)]


def bin_label(low: int, high: int) -> str:
    return f"{low}-{min(high, 100)}"


def quality_distribution(user: Any) -> list[dict[str, Any]]:
    """Per department: how many specialist outputs fell in each score band."""
    scored = Execution.objects.filter(
        kind=Execution.Kind.SPECIALIST,
        overall_score__isnull=False,
        department__isnull=False,
        project__in=projects_with(user, "execution:read"),
    )
    rows = []
    for department in Department.objects.order_by("priority"):
        mine = scored.filter(department=department)
        counts = mine.aggregate(
            **{
                f"b{i}": Count("pk", filter=Q(overall_score__gte=lo, overall_score__lt=hi))
                for i, (lo, hi) in enumerate(QUALITY_BINS)
            }
        )
        rows.append(
            {
                "department": department,
                "bins": [
                    (bin_label(lo, hi), counts[f"b{i}"]) for i, (lo, hi) in enumerate(QUALITY_BINS)
                ],
                "total": sum(counts.values()),
            }
        )
    return rows


def daily_usage(user: Any, days: int = 14) -> dict[str, Any]:
    """Tokens and cost per day per department over the last `days` days."""
    first = timezone.localdate() - timedelta(days=days - 1)
    rows = (
        Execution.objects.exclude(kind__in=CONTAINER_KINDS)
        .filter(
            department__isnull=False,
            created_at__date__gte=first,
            project__in=projects_with(user, "execution:read"),
        )
        .annotate(day=TruncDate("created_at"))
        .values("day", "department__slug")
        .annotate(tokens=Sum("total_tokens"), cost=Sum("cost"))
    )
    table: dict[tuple[date, str], tuple[int, float]] = {
        (r["day"], r["department__slug"]): (int(r["tokens"] or 0), float(r["cost"] or 0))
        for r in rows
    }
    return {"days": [first + timedelta(days=i) for i in range(days)], "values": table}
