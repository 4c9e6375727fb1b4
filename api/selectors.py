"""Reads for the API, always narrowed to what the caller may see (brain.access)."""

from __future__ import annotations

import functools
import heapq
import itertools
import operator
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from agents.models import Agent, CustomTool
from brain import access
from brain.models import Episode, Project, ProjectMembership
from departments.models import Department
from executions.models import Execution, ToolCall
from executions.progress import Progress

EVENTS_PER_PAGE = 500


def project_by_ref(user: Any, ref: str, permission: str) -> Project:
    """The project named by id or slug, if the user holds `permission` on it.

    A project the user cannot even read answers 404, so ids do not leak.
    """
    field = "slug" if not _looks_like_uuid(ref) else "uid"
    project = Project.objects.filter(**{field: ref}).first()
    if project is None or not access.has_permission(user, "project:read", project):
        raise Project.DoesNotExist(f"No project {ref!r}.")
    access.require(user, permission, project)
    return project


def _looks_like_uuid(ref: str) -> bool:
    return len(ref) == 36 and ref.count("-") == 4


def visible_executions(user: Any) -> QuerySet[Execution]:
    """Runs of the user's projects, and project-less runs they started themselves."""
    conditions = _visibility(user)
    if not conditions:
        return Execution.objects.none()
    return Execution.objects.filter(functools.reduce(operator.or_, conditions))


RELATED = ("agent", "department", "project", "conversation", "parent", "root")
# A list needs these columns only; the JSON documents (messages, output) stay on disk.
SUMMARY_FIELDS = (
    "execution_id",
    "kind",
    "status",
    "agent_version",
    "model",
    "created_at",
    "started_at",
    "completed_at",
    "execution_time",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cost",
    "overall_score",
    "decision",
    "error_type",
    "agent__agent_id",
    "department__slug",
    "project__uid",
    "conversation__conversation_id",
    "parent__execution_id",
    "root__execution_id",
)

# The list reads each run's parent and root id through a subquery on the primary key,
# not two more joins of the runs table: PostgreSQL spent 1.3 ms planning a page's
# seven-table join, more than running it.
LISTED_FIELDS = tuple(f for f in SUMMARY_FIELDS if f.partition("__")[0] not in ("parent", "root"))


def _run_id(column: str) -> Subquery:
    return Subquery(Execution.objects.filter(pk=OuterRef(column)).values("execution_id"))


def list_executions(user: Any, filters: dict[str, Any]) -> VisibleRuns:
    lookups = {
        "conversationId": "conversation__conversation_id",
        "status": "status",
        "department": "department__slug",
        "agentId": "agent__agent_id",
        "kind": "kind",
        "startDate": "created_at__gte",
        "endDate": "created_at__lte",
    }
    runs = Execution.objects.all()
    for key, lookup in lookups.items():
        if filters.get(key) is not None:
            runs = runs.filter(**{lookup: filters[key]})
    return VisibleRuns(runs, _visibility(user))


def _visibility(user: Any) -> tuple[Q, ...]:
    """Which runs `user` may read, as one condition per project (and one for the
    user's project-less runs): each is a range of one index, newest first. None at
    all for a caller who is not signed in."""
    if not getattr(user, "is_authenticated", False):
        return ()
    if getattr(user, "is_superuser", False):
        return (Q(),)
    projects = access.projects_with(user, "execution:read").values_list("pk", flat=True)
    mine = Q(project__isnull=True, requested_by_id=user.pk)
    return (*(Q(project_id=pk) for pk in projects.order_by("pk")), mine)


@dataclass(frozen=True)
class VisibleRuns:
    """Filtered runs, only ever read through the caller's visibility conditions."""

    runs: QuerySet[Execution]
    visibility: tuple[Q, ...]

    def narrow(self, **lookups: Any) -> VisibleRuns:
        return VisibleRuns(self.runs.filter(**lookups), self.visibility)

    def page(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """One page, newest first, and the total.

        The page's ids come from each visibility condition on its own, newest first,
        merged: one index walk each that stops after offset + limit rows. The visible
        runs as one OR condition made SQLite (without statistics) sort every one of
        them per request, 4 ms at 10,000 runs. The rows are flat `values()` rows for
        `execution_summaries`: seven model instances per row cost more than the query."""
        newest_first = ("-created_at", "-pk")
        branches = [
            self.runs.filter(condition)
            .order_by(*newest_first)
            .values_list("created_at", "pk")[: offset + limit]
            for condition in self.visibility
        ]
        merged = heapq.merge(*branches, reverse=True)
        ids = [pk for _, pk in itertools.islice(merged, offset, offset + limit)]
        rows = {
            values["pk"]: values
            for values in Execution.objects.filter(pk__in=ids)
            .order_by()  # the ids give the order; the model's ordering is a sort for nothing
            .annotate(parent_run=_run_id("parent_id"), root_run=_run_id("root_id"))
            .values("pk", *LISTED_FIELDS, "parent_run", "root_run")
        }
        # Counted per condition too: each an index range, not one OR over the table.
        total = sum(self.runs.filter(condition).count() for condition in self.visibility)
        return [rows[pk] for pk in ids if pk in rows], total


def execution_for(user: Any, execution_id: str) -> Execution:
    """The run if `user` may read it (as `visible_executions` decides), else Http404.

    Fetched by id, then checked with one membership lookup: cheaper per status poll
    than filtering by the user's readable projects in SQL."""
    run = Execution.objects.select_related("project").filter(execution_id=execution_id).first()
    if run is None or not can_read(user, run):  # one answer: no hint that it exists
        raise no_such_run(execution_id)
    return run


def no_such_run(execution_id: str) -> Http404:
    return Http404(f"No run {execution_id} that you can read. GET /api/executions lists yours.")


def can_read(user: Any, run: Execution) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    if run.project is None:
        return bool(getattr(user, "is_authenticated", False)) and run.requested_by_id == user.pk
    return access.has_permission(user, "execution:read", run.project)


def execution_detail(user: Any, execution_id: str) -> Execution:
    run = (
        visible_executions(user).select_related(*RELATED).filter(execution_id=execution_id).first()
    )
    if run is None:
        raise no_such_run(execution_id)
    children = run.children.select_related(*RELATED).only(*SUMMARY_FIELDS)
    run.child_runs = list(children.order_by("created_at", "pk"))  # type: ignore[attr-defined]
    run.event_list = list(run.events.order_by("sequence")[:EVENTS_PER_PAGE])  # type: ignore[attr-defined]
    run.tool_call_list = list(  # type: ignore[attr-defined]
        ToolCall.objects.filter(Q(execution=run) | Q(execution__root=run))
        .select_related("execution")
        .order_by("started_at", "pk")[:EVENTS_PER_PAGE]
    )
    return run


def status_of(run: Execution, since: int) -> dict[str, Any]:
    progress = Progress()
    new_events: list[dict[str, Any]] = []  # rendered by EventOut like the model would be
    # One pass over the log: progress needs all of it, the answer what follows `since`.
    for sequence, type_, payload, created_at in run.events.order_by("sequence").values_list(
        "sequence", "type", "payload", "created_at"
    ):
        progress.apply(sequence, type_, payload)
        if sequence > since and len(new_events) < EVENTS_PER_PAGE:
            new_events.append(
                {"sequence": sequence, "type": type_, "payload": payload, "created_at": created_at}
            )
    phase = progress.phase
    if run.status in (Execution.Status.FAILED, Execution.Status.CANCELLED):
        phase = run.status  # a run stopped before its log says so (cancel, lost process)
    percent = 100 if run.is_finished else progress.percent
    return {
        "executionId": run.execution_id,
        "status": run.status,
        "progress": percent,
        "currentPhase": phase,
        "departmentsComplete": progress.departments_complete,
        "departmentsTotal": len(progress.departments),
        "events": new_events,
        "lastSequence": progress.last_sequence,
        "partialResults": _partial_results(run, progress),
    }


def _partial_results(run: Execution, progress: Progress) -> dict[str, Any] | None:
    if run.output and isinstance(run.output, dict):
        return run.output
    departments = {
        slug: {"status": d.status, "score": d.score, "decision": d.decision}
        for slug, d in progress.departments.items()
    }
    return {"departments": departments} if departments else None


def list_agents(filters: dict[str, Any]) -> QuerySet[Agent]:
    agents = Agent.objects.select_related("department").defer("instructions_prompt", "changelog")
    if filters.get("department"):
        agents = agents.filter(department__slug=filters["department"])
    if filters.get("isDepartmentHead") is not None:
        agents = agents.filter(is_department_head=filters["isDepartmentHead"])
    if filters.get("isActive") is not None:
        agents = agents.filter(is_active=filters["isActive"])
    return agents.order_by("department__priority", "-is_department_head", "agent_id")


def agents_page(agents: QuerySet[Agent], limit: int, offset: int) -> list[Agent]:
    """One page of agents, each with `tool_names` (sorted) from one query of the
    agent-tool links: a prefetch built a related manager per agent, costlier than this."""
    page = list(agents[offset : offset + limit])
    links = Agent.tools.through.objects.filter(agent_id__in=[agent.pk for agent in page])
    names: dict[int, list[str]] = {agent.pk: [] for agent in page}
    for agent_pk, tool_name in links.values_list("agent_id", "customtool__tool_name"):
        names[agent_pk].append(tool_name)
    for agent in page:
        agent.tool_names = sorted(names[agent.pk])  # type: ignore[attr-defined]
    return page


def agent_by_id(agent_id: str) -> Agent:
    agents = Agent.objects.select_related("department").prefetch_related("tools")
    try:
        return agents.get(agent_id=agent_id)
    except Agent.DoesNotExist:
        raise Http404(f"No agent {agent_id!r}. GET /api/agents lists them.") from None


def tool_by_name(name: str) -> CustomTool:
    try:
        return list_tools().get(tool_name=name)
    except CustomTool.DoesNotExist:
        raise Http404(f"No tool {name!r}. GET /api/tools lists them.") from None


def list_tools() -> QuerySet[CustomTool]:
    return CustomTool.objects.prefetch_related("departments").order_by("tool_name")


def list_departments() -> list[Department]:
    departments = list(Department.objects.prefetch_related("agents").order_by("priority", "slug"))
    for department in departments:
        members = sorted(department.agents.all(), key=lambda a: a.agent_id)
        head = next((a for a in members if a.is_department_head), None)
        department.headAgentId = head.agent_id if head else None  # type: ignore[attr-defined]
        department.agentIds = [a.agent_id for a in members]  # type: ignore[attr-defined]
    return departments


def list_projects(user: Any) -> list[Project]:
    projects = list(
        access.readable_projects(user)
        .prefetch_related(
            Prefetch(
                "episodes",
                queryset=Episode.objects.order_by("episode_number").prefetch_related("scenes"),
            ),
            "characters",
        )
        .order_by("name")
    )
    roles = dict(
        ProjectMembership.objects.filter(user_id=user.pk).values_list("project_id", "role")
    )
    for project in projects:
        project.role = roles.get(project.pk)  # type: ignore[attr-defined]
    return projects


def require_on(user: Any, permission: str, project: Project) -> None:
    access.require(user, permission, project)
