"""The execution monitor's state, read from the database: the event log folded into
progress (executions.progress), plus tokens and cost from the run rows.

The page and the live fragments are both rendered from this, so a reload shows
exactly what the live page showed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from aladdin.text import plural
from brain.store import DOCUMENTS_PARAM
from departments.models import Department
from executions.maintenance import WAITING
from executions.models import Execution, ExecutionEvent
from executions.progress import DepartmentProgress, Progress
from executions.results import recommendation, run_score, stop_reason
from executions.selectors import CONTAINER_KINDS

FINAL_DEPARTMENT_STATES = {"completed", "failed", "cancelled"}


@dataclass
class Spend:
    tokens: int = 0
    cost: Decimal | None = Decimal(0)

    def add(self, row: Execution) -> None:
        self.tokens += row.total_tokens
        if row.cost is None:
            if row.total_tokens:
                self.cost = None  # a model without a price: the sum is unknown
        elif self.cost is not None:
            self.cost += row.cost


@dataclass
class SpecialistNode:
    agent_id: str
    name: str
    status: str
    task: str
    progress: int
    score: float | None
    decision: str
    retries: int
    spend: Spend


@dataclass
class DepartmentNode:
    slug: str
    name: str
    icon: str
    color: str
    status: str
    relevance: float
    head: str
    progress: int
    score: float | None
    decision: str
    retries: int
    spend: Spend
    specialists: list[SpecialistNode]
    cancellable: bool


@dataclass
class TimelineEntry:
    sequence: int
    at: Any
    type: str
    text: str


@dataclass
class MonitorState:
    root: Execution
    progress: Progress
    departments: list[DepartmentNode]
    spend: Spend
    timeline: list[TimelineEntry]
    demo: bool
    report: dict[str, Any] | None = None
    omitted: list[dict[str, Any]] = field(default_factory=list)
    storage_note: str = ""

    @property
    def finished(self) -> bool:
        return self.root.is_finished

    @property
    def settled(self) -> bool:
        """Ended, or waiting for a person (paused, awaiting approval): nothing runs, so
        nothing to cancel and no live events to follow until someone acts."""
        return self.root.is_finished or self.root.status in WAITING

    @property
    def score(self) -> float | None:
        return run_score(self.root) if self.finished else self.progress.overall

    @property
    def recommendation(self) -> str:
        if self.finished:
            return recommendation(self.root)
        return self.progress.recommendation

    @property
    def phase(self) -> str:
        return self.root.status if self.finished else self.progress.phase

    @property
    def stop_reason(self) -> str:
        return stop_reason(self.root)


def monitor_state(root: Execution) -> MonitorState:
    events = list(ExecutionEvent.objects.filter(execution=root).order_by("sequence"))
    progress = Progress()
    for event in events:
        progress.apply(event.sequence, event.type, event.payload)
    rows = list(
        Execution.objects.filter(root=root)
        .exclude(pk=root.pk)
        .select_related("agent", "department", "parent")
    )
    total = Spend()
    for row in rows:
        if row.kind not in CONTAINER_KINDS:
            total.add(row)
    state = MonitorState(
        root=root,
        progress=progress,
        departments=_departments(root, progress, rows),
        spend=total,
        timeline=[timeline_entry(e) for e in events],
        demo=_uses_demo(rows),
    )
    if root.is_finished:
        state.report = root.output or {}
        state.omitted = omitted_departments(rows)
        state.storage_note = " ".join(filter(None, (_storage_note(events), _documents_note(root))))
    return state


def _uses_demo(rows: list[Execution]) -> bool:
    models = {row.model for row in rows if row.model}
    if not models:
        return bool(settings.ALADDIN_DEFAULT_MODEL == settings.DEMO_MODEL)
    return settings.DEMO_MODEL in models


def _departments(
    root: Execution, progress: Progress, rows: list[Execution]
) -> list[DepartmentNode]:
    known = {d.slug: d for d in Department.objects.filter(slug__in=progress.departments)}
    department_rows = {
        row.department.slug: row
        for row in rows
        if row.kind == Execution.Kind.DEPARTMENT and row.department is not None
    }
    nodes = []
    for slug, department in progress.departments.items():
        row = department_rows.get(slug)
        children = [r for r in rows if row is not None and r.parent_id == row.pk]
        nodes.append(_department_node(root, department, known.get(slug), row, children))
    return sorted(nodes, key=lambda n: -n.relevance)


def _department_node(
    root: Execution,
    progress: DepartmentProgress,
    department: Department | None,
    row: Execution | None,
    children: list[Execution],
) -> DepartmentNode:
    spend = Spend()
    for child in children:
        spend.add(child)
    specialists = []
    names = {c.agent.agent_id: c.agent.name for c in children if c.agent is not None}
    for agent_id, specialist in progress.specialists.items():
        own = Spend()
        for child in children:
            agent = child.agent
            if child.kind == Execution.Kind.SPECIALIST and agent and agent.agent_id == agent_id:
                own.add(child)
        specialists.append(
            SpecialistNode(
                agent_id=agent_id,
                name=names.get(agent_id, agent_id),
                status=specialist.status,
                task=specialist.task,
                progress=int(specialist.progress * 100),
                score=specialist.score,
                decision=specialist.decision,
                retries=max(specialist.attempts - 1, 0),
                spend=own,
            )
        )
    status = progress.status
    if row is not None and row.status == Execution.Status.CANCELLED:
        status = "cancelled"
    final = status in FINAL_DEPARTMENT_STATES
    return DepartmentNode(
        slug=progress.slug,
        name=department.name if department else progress.slug.title(),
        icon=department.icon if department else "",
        color=department.color if department else "#6366f1",
        status=status,
        relevance=progress.relevance,
        head=progress.head,
        progress=100 if final else int(progress.fraction * 100),
        score=progress.score,
        decision=progress.decision,
        retries=sum(s.retries for s in specialists),
        spend=spend,
        specialists=specialists,
        cancellable=not root.is_finished and root.status not in WAITING and not final,
    )


def omitted_departments(rows: list[Execution]) -> list[dict[str, Any]]:
    """Departments the plan scored below the relevance threshold, with its reasoning."""
    plan = next(
        (r for r in rows if r.kind == Execution.Kind.PLAN and r.department_id is None), None
    )
    if plan is None or not isinstance(plan.output, dict):
        return []
    threshold = settings.ALADDIN_DEPARTMENT_RELEVANCE_THRESHOLD
    return [
        {
            "department": item.get("department", "?"),
            "relevance": item.get("relevance", 0),
            "reasoning": item.get("reasoning", ""),
            "threshold": threshold,
        }
        for item in plan.output.get("departments", [])
        if isinstance(item, dict) and float(item.get("relevance", 0)) < threshold
    ]


def _storage_note(events: list[ExecutionEvent]) -> str:
    for event in reversed(events):
        if event.type == "brain-storage":
            payload = event.payload
            if not payload.get("success"):
                return f"Storing in the brain failed: {payload.get('note', 'unknown error')}"
            entities = payload.get("entities", 0)
            note = payload.get("note", "")
            if note:
                return f"Not stored: {note}."
            return f"{entities} entit{'y' if entities == 1 else 'ies'} stored in the brain."
    return ""


def _documents_note(root: Execution) -> str:
    """Where the brain documents of the stored entities are: made after the run ends."""
    state = (root.params or {}).get(DOCUMENTS_PARAM)
    if not isinstance(state, dict):
        return ""
    entities = plural(int(state.get("entities") or 0), "entity", "entities")
    if state.get("status") == "preparing":
        return f"Brain documents of {entities}: being prepared."
    if state.get("status") == "ready":
        left = int(state.get("rejected") or 0) + int(state.get("failed") or 0)
        note = f"Brain documents: {state.get('stored', 0)} of {entities} made."
        problems = [str(problem).rstrip(".") for problem in state.get("problems") or []]
        if problems:
            note += f" Not made: {'; '.join(problems)}."
        return note + (" `manage.py brain_prepare` can remake the others." if left else "")
    return f"Brain documents {state.get('status')}: `manage.py brain_prepare` can remake them."


def timeline_entry(event: ExecutionEvent) -> TimelineEntry:
    return TimelineEntry(event.sequence, event.created_at, event.type, describe(event))


def describe(event: ExecutionEvent) -> str:
    """One line for people about what an event says."""
    p: dict[str, Any] = event.payload or {}
    department = p.get("department", "")
    specialist = p.get("specialistId", "")
    texts = {
        "orchestration-start": lambda: (
            "Request received; complexity " + str((p.get("context") or {}).get("complexity", "?"))
        ),
        "department-assigned": lambda: (
            f"{department} assigned (relevance {float(p.get('relevance', 0)):.2f})"
        ),
        "department-head-start": lambda: f"{p.get('agentId', '')} leads {department}",
        "specialist-spawned": lambda: (
            f"{specialist} started"
            + (f" (attempt {p['attempt']})" if p.get("attempt", 1) > 1 else "")
        ),
        "specialist-executing": lambda: f"{specialist}: {p.get('currentStep', '')}",
        "specialist-complete": lambda: (
            f"{specialist} done, score {_pct(p.get('qualityScore'))}, {p.get('decision', '')}"
        ),
        "department-review": lambda: (
            f"{department} reviewed: "
            f"{_pct((p.get('scores') or {}).get('overall'))}, {p.get('decision', '')}"
        ),
        "department-complete": lambda: f"{department} {p.get('status', 'completed')}",
        "quality-validation": lambda: (
            f"Overall {_pct(p.get('overallScore'))}, consistency {_pct(p.get('consistency'))}"
        ),
        "brain-storage": lambda: (
            f"Brain: {p.get('entities', 0)} entities" + (f" ({p['note']})" if p.get("note") else "")
        ),
        "orchestration-complete": lambda: (
            "Complete: " + str((p.get("result") or {}).get("recommendation", ""))
        ),
        "error": lambda: f"Stopped: {p.get('error', '')}",
        "orchestration-paused": lambda: (
            f"Paused at the budget ({p.get('budget', '')}): raise it, then resume"
        ),
        "approval-requested": lambda: (
            f"Awaiting approval: {plural(int(p.get('entities') or 0), 'entity', 'entities')}"
        ),
        "orchestration-plan": lambda: (
            f"Plan: {plural(len(p.get('departments') or []), 'department')}, "
            f"about {plural(int(p.get('estimatedTokens') or 0), 'token')}"
            + (f"; {len(p['omitted'])} cut for budget" if p.get("omitted") else "")
        ),
        "agent-loop-detected": lambda: (
            f"{p.get('agentId', '')} repeats itself ({p.get('pattern', '')}): {p.get('action', '')}"
        ),
    }
    text = texts.get(event.type)
    return text() if text else event.type


def _pct(value: Any) -> str:
    return "-" if value is None else f"{float(value) * 100:.0f}"
