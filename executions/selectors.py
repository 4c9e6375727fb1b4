"""Reads for orchestrations: the agent team as engine specs, today's spend, progress."""

from __future__ import annotations

import math
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from decimal import Decimal
from time import monotonic
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count, Model, Q, Sum
from django.utils import timezone

from agents.models import Agent, CustomTool
from agents.selectors import agent_spec, tier_models
from brain.models import Project
from departments.models import Department
from engine.budgets import BudgetLedger, BudgetLimit
from engine.complexity import ModelTier
from engine.department import DepartmentTeam
from engine.errors import AladdinError, ErrorType
from engine.orchestrator import Team
from engine.ports import AgentSpec
from executions.budgets import leased_store, open_account, release_holds, usage_of
from executions.models import BudgetHold, Execution

# Container runs only add up their children; counting them would count twice.
CONTAINER_KINDS = (Execution.Kind.ORCHESTRATION, Execution.Kind.DEPARTMENT)


def orchestrator_agent() -> Agent:
    return _required(team_rows().orchestrator)


def _required(agent: Agent | None) -> Agent:
    if agent is None:
        raise AladdinError(
            ErrorType.VALIDATION_ERROR,
            "There is no active master orchestrator (an agent without a department). "
            "Run `python manage.py seed_aladdin` or create one in the admin.",
        )
    return agent


def _orchestrator_row() -> Agent | None:
    active = Agent.objects.filter(department__isnull=True, is_active=True)
    return (
        active.filter(agent_id="master-orchestrator").first() or active.order_by("agent_id").first()
    )


# Estimates for fitting a plan to the budget come from this recent a history.
AVERAGES_OVER_DAYS = 30
AVERAGES_CACHE_KEY = "executions:run-averages"


Average = tuple[float, float | None]  # tokens and USD per run (None: some run unpriced)


def run_averages() -> dict[int | str, Average]:
    """Per agent pk, and per role ("specialist", ...) for agents with no runs of their
    own: tokens and USD per run over recent finished runs (containers left out: they
    only sum their children)."""
    since = timezone.now() - timedelta(days=AVERAGES_OVER_DAYS)
    rows = (
        Execution.objects.filter(
            created_at__gte=since,
            agent__isnull=False,
            status__in=[Execution.Status.COMPLETED, Execution.Status.FAILED],
        )
        .exclude(kind__in=CONTAINER_KINDS)
        .values("agent_id", "agent__department_id", "agent__is_department_head")
        .annotate(
            tokens=Avg("total_tokens"),
            usd=Avg("cost"),
            unpriced=Count("pk", filter=Q(cost__isnull=True)),
            runs=Count("pk"),
        )
    )
    averages: dict[int | str, Average] = {}
    by_role: dict[str, list[tuple[int, Average]]] = {}
    for row in rows:
        usd = None if row["unpriced"] or row["usd"] is None else float(row["usd"])
        own = (float(row["tokens"] or 0.0), usd)
        averages[row["agent_id"]] = own
        role = _role(row["agent__department_id"], row["agent__is_department_head"])
        by_role.setdefault(role, []).append((row["runs"], own))
    for role, items in by_role.items():
        runs = sum(n for n, _ in items)
        tokens = sum(n * average[0] for n, average in items) / runs
        prices = [(n, average[1]) for n, average in items]
        role_usd = (
            None
            if any(u is None for _, u in prices)
            else sum(n * (u or 0.0) for n, u in prices) / runs
        )
        averages[role] = (tokens, role_usd)
    return averages


def _role(department_id: int | None, is_head: bool) -> str:
    if department_id is None:
        return "orchestrator"
    return "department_head" if is_head else "specialist"


def _with_averages(
    agent: Agent,
    project: Project | None,
    averages: dict[int | str, Average],
    times: dict[tuple[str, int], float],
    tiers: tuple[tuple[ModelTier, str], ...],
) -> AgentSpec:
    """The agent's spec with what a run of it costs: its own average, else the
    estimate set in the admin (estimated tokens per run), else its role's average."""
    spec = agent_spec(agent, project, tiers)
    if ("agent", agent.pk) in times:
        spec = replace(spec, average_execution_ms=times[("agent", agent.pk)])
    found = averages.get(agent.pk)
    if found is None and agent.estimated_tokens_per_run:
        found = (float(agent.estimated_tokens_per_run), None)
    found = found or averages.get(spec.role)
    if found is None:
        return spec
    tokens, usd = found
    return replace(spec, average_tokens=tokens, average_cost=usd)


def cached_run_averages() -> dict[int | str, Average]:
    """run_averages() computed at most once a minute per cache: it aggregates every
    finished run of the last AVERAGES_OVER_DAYS, so its cost grows with the history
    (a queue of 1,000 requests halved its own throughput recomputing it per run),
    while estimates barely move from one run to the next."""
    averages: dict[int | str, Average] | None = cache.get(AVERAGES_CACHE_KEY)
    if averages is None:
        averages = run_averages()
        if averages:  # no history yet (a new install): the next run's own costs count at once
            timeout = settings.ALADDIN_ESTIMATES_CACHE_SECONDS
            cache.set(AVERAGES_CACHE_KEY, averages, timeout=timeout)
    return averages


def team_for(project: Project | None) -> Team:
    departments = []
    averages = cached_run_averages()
    rows = team_rows()
    orchestrator = _required(rows.orchestrator)
    times, tiers = _mean_times(), tier_models(project)
    by_department: dict[int, list[Agent]] = {}
    for agent in rows.agents:
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
                head=_with_averages(head, project, averages, times, tiers),
                specialists=tuple(
                    _with_averages(a, project, averages, times, tiers)
                    for a in members
                    if a is not head
                ),
                average_ms=times.get(("department", department.pk), 0.0),
            )
        )
    return Team(
        orchestrator=_with_averages(orchestrator, project, averages, times, tiers),
        departments=tuple(departments),
    )


def _mean_times() -> dict[tuple[str, int], float]:
    """Each agent's and department's mean run time as of now: every orchestration's
    metrics move them, and the kept team rows would not see it (two narrow reads)."""
    agents = Agent.objects.values_list("pk", "average_execution_time")
    departments = Department.objects.values_list("pk", "average_execution_time")
    return {
        **{("agent", pk): float(ms) for pk, ms in agents},
        **{("department", pk): float(ms) for pk, ms in departments},
    }


@dataclass(frozen=True)
class TeamRows:
    """The active agents (with their tools and departments) as last read, and what
    the agent tables looked like then."""

    fingerprint: tuple[Any, ...]
    read_at: float
    agents: tuple[Agent, ...]
    orchestrator: Agent | None


_team_rows: list[TeamRows] = []
_team_rows_lock = threading.Lock()


def team_rows() -> TeamRows:
    """Every orchestration plans with the whole team, and reading 31 agents with their
    tools and departments cost 8 ms (5% of a request's CPU in `make bench`). So the
    rows are kept while one cheap query finds the agent, department and tool tables as
    they were: same row counts, same latest `updated_at` (every save and every bulk
    change in the product sets it), same tool links. Mean run times on the rows are
    not used (team_for reads them fresh), and the rows are read again at least every
    ALADDIN_ESTIMATES_CACHE_SECONDS."""
    fingerprint = _team_fingerprint()
    with _team_rows_lock:
        kept = _team_rows[0] if _team_rows else None
    age_limit = settings.ALADDIN_ESTIMATES_CACHE_SECONDS
    if kept and kept.fingerprint == fingerprint and monotonic() - kept.read_at < age_limit:
        return kept
    agents = (
        Agent.objects.filter(is_active=True, department__is_active=True)
        .select_related("department")
        # available_tools() filters in Python, so one query serves all 31 agents.
        .prefetch_related("tools__departments")
        .order_by("department__priority", "agent_id")
    )
    fresh = TeamRows(fingerprint, monotonic(), tuple(agents), _orchestrator_row())
    with _team_rows_lock:
        _team_rows[:] = [fresh]
    return fresh


def forget_team_rows() -> None:
    """For tests that change agent rows behind the product's back (no `updated_at`)."""
    with _team_rows_lock:
        _team_rows.clear()


def _team_fingerprint() -> tuple[Any, ...]:
    """One row: each table's row count and latest change (or id, for link tables)."""
    tables: list[type[Model]] = [
        Agent,
        Department,
        CustomTool,
        Agent.tools.through,
        CustomTool.departments.through,
    ]
    columns = []
    for model in tables:
        table = connection.ops.quote_name(model._meta.db_table)
        latest = "updated_at" if hasattr(model, "updated_at") else "id"
        columns += [f"(SELECT COUNT(*) FROM {table})", f"(SELECT MAX({latest}) FROM {table})"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns))
        return tuple(cursor.fetchone() or ())


def daily_key(project: Project) -> str:
    return f"project:{project.pk}:{timezone.localdate().isoformat()}"


def spent_today_in_runs(project: Project) -> tuple[int, float]:
    """What today's recorded runs cost, demo-model runs left out (they are free)."""
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    totals = (
        Execution.objects.filter(
            Q(project=project) & Q(created_at__gte=start) & ~Q(kind__in=CONTAINER_KINDS)
        )
        .exclude(model=settings.DEMO_MODEL)
        .aggregate(tokens=Sum("total_tokens"), usd=Sum("cost"))
    )
    return int(totals["tokens"] or 0), float(totals["usd"] or Decimal(0))


def spent_today(project: Project) -> tuple[int, float]:
    """Tokens and USD the project's daily budget has used today, reservations of calls
    in flight included; demo-model runs are not counted."""
    usage = usage_of(daily_key(project))
    if usage is None:
        return spent_today_in_runs(project)
    return (
        usage.spent_tokens + usage.reserved_tokens,
        usage.spent_usd + usage.reserved_usd,
    )


def _usd(value: Decimal | None) -> float | None:
    """A blank USD budget is no limit; 0 is a limit of nothing."""
    return None if value is None else float(value)


def budget_ledger(
    project: Project, max_tokens: int | None = None, *, run_id: str = "", demo: bool = False
) -> BudgetLedger:
    """The run's ledger on accounts in the database: its own (`run:<id>`) and, unless
    it runs on the demo model, the project's day, shared with every other run.
    Raises AladdinError (validation) for budgets the run cannot be held to."""
    problems = project_budget_problems(project)
    if problems:
        raise AladdinError(
            ErrorType.VALIDATION_ERROR,
            f"The budgets of project {project.slug!r} are invalid: {'; '.join(problems)}. "
            "Fix them in the admin.",
        )
    per_run = project.token_budget_per_execution
    if max_tokens is not None:
        per_run = min(per_run, max_tokens)
    run_key = f"run:{run_id or uuid.uuid4()}"
    if run_id:  # a run starting again (resumed): what it held before is stale
        release_holds(list(BudgetHold.objects.select_related("account").filter(holder=run_id)))
    run = open_account(run_key)  # a resumed run goes on with what it spent before
    limits = [
        BudgetLimit(
            "orchestration",
            per_run,
            _usd(project.usd_budget_per_execution),
            already_spent_tokens=run.spent_tokens,
            already_spent_usd=run.spent_usd,
            key=run_key,
        )
    ]
    if not demo:
        key = daily_key(project)
        now = usage_of(key)
        if now is None:  # the day's first run: start from what rows recorded
            tokens_today, usd_today = spent_today_in_runs(project)
            now = open_account(key, spent_tokens=tokens_today, spent_usd=usd_today)
        limits.append(
            BudgetLimit(
                "project-daily",
                project.token_budget_daily,
                _usd(project.usd_budget_daily),
                # What the day holds now, for plans made before the first call.
                already_spent_tokens=now.spent_tokens + now.reserved_tokens,
                already_spent_usd=now.spent_usd + now.reserved_usd,
                key=key,
            )
        )
    # One lease per account (engine/leases.py): close the ledger when the run ends.
    return BudgetLedger(limits, leased_store(run_key), holder=run_id)


def project_budget_problems(project: Project) -> list[str]:
    """Rows written before the model's checks existed (or by raw SQL) may hold values
    no run can be held to; say which instead of failing inside the engine."""
    problems = []
    for label, value in (
        ("tokens per run", project.token_budget_per_execution),
        ("tokens per day", project.token_budget_daily),
        ("USD per run", project.usd_budget_per_execution),
        ("USD per day", project.usd_budget_daily),
    ):
        if value is not None and not (math.isfinite(value) and value >= 0):
            problems.append(f"{label} must be 0 or more, not {value}")
    return problems
