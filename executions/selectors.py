"""Reads for orchestrations: the agent team as engine specs, today's spend, progress."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from agents.models import Agent
from agents.selectors import agent_spec
from brain.models import Project
from engine.budgets import BudgetLedger, BudgetLimit
from engine.department import DepartmentTeam
from engine.errors import AladdinError, ErrorType
from engine.orchestrator import Team
from executions.models import Execution

# Container runs only add up their children; counting them would count twice.
CONTAINER_KINDS = (Execution.Kind.ORCHESTRATION, Execution.Kind.DEPARTMENT)


def orchestrator_agent() -> Agent:
    active = Agent.objects.filter(department__isnull=True, is_active=True)
    agent = (
        active.filter(agent_id="master-orchestrator").first() or active.order_by("agent_id").first()
    )
    if agent is None:
        raise AladdinError(
            ErrorType.VALIDATION_ERROR,
            "There is no active master orchestrator (an agent without a department). "
            "Run `python manage.py seed_aladdin` or create one in the admin.",
        )
    return agent


def team_for(project: Project | None) -> Team:
    departments = []
    agents = (
        Agent.objects.filter(is_active=True, department__is_active=True)
        .select_related("department")
        .order_by("department__priority", "agent_id")
    )
    by_department: dict[int, list[Agent]] = {}
    for agent in agents:
        by_department.setdefault(agent.department_id or 0, []).append(agent)
    for members in by_department.values():
        head = next((a for a in members if a.is_department_head), None)
        if head is None or head.department is None:
            continue
        department = head.department
        departments.append(
            DepartmentTeam(
                slug=department.slug,
                name=department.name,
                head=agent_spec(head, project),
                specialists=tuple(agent_spec(a, project) for a in members if a is not head),
                average_ms=department.average_execution_time,
            )
        )
    return Team(
        orchestrator=agent_spec(orchestrator_agent(), project), departments=tuple(departments)
    )


def spent_today(project: Project) -> tuple[int, float]:
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    totals = Execution.objects.filter(
        Q(project=project) & Q(created_at__gte=start) & ~Q(kind__in=CONTAINER_KINDS)
    ).aggregate(tokens=Sum("total_tokens"), usd=Sum("cost"))
    return int(totals["tokens"] or 0), float(totals["usd"] or Decimal(0))


def budget_ledger(project: Project, max_tokens: int | None = None) -> BudgetLedger:
    tokens_today, usd_today = spent_today(project)
    per_run = project.token_budget_per_execution
    if max_tokens is not None:
        per_run = min(per_run, max_tokens)
    return BudgetLedger(
        [
            BudgetLimit(
                "orchestration",
                per_run,
                float(project.usd_budget_per_execution)
                if project.usd_budget_per_execution
                else None,
            ),
            BudgetLimit(
                "project-daily",
                project.token_budget_daily,
                float(project.usd_budget_daily) if project.usd_budget_daily else None,
                already_spent_tokens=tokens_today,
                already_spent_usd=usd_today,
            ),
        ]
    )
