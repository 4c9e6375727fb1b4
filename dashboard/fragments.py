"""HTML fragments for the monitor's WebSocket: out-of-band swaps whose ids match the
page (templates/dashboard/monitor.html), rendered from the database."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from brain.access import has_permission
from dashboard.monitor import MonitorState, monitor_state
from executions.approval import pending_entities
from executions.models import Execution
from executions.resume import has_work_to_retry

# Events that change the chart's shape (a department appears) or the run's end.
STRUCTURAL = {
    "orchestration-start",
    "department-assigned",
    "orchestration-complete",
    "error",
    "orchestration-paused",
    "approval-requested",
}
# Statuses in which a person can act on the run (retry, resume, approve or reject).
ACTIONABLE = (*Execution.FINISHED, Execution.Status.PAUSED, Execution.Status.AWAITING_APPROVAL)


def load_state(execution_id: str) -> MonitorState | None:
    root = (
        Execution.objects.select_related("project", "requested_by")
        .filter(execution_id=execution_id, parent__isnull=True)
        .first()
    )
    return None if root is None else monitor_state(root)


def full(state: MonitorState, context: dict[str, Any]) -> str:
    """Everything live on the page: sent when the socket (re)connects."""
    parts = [
        _render("dashboard/_summary.html", state, context),
        _render("dashboard/_next_step.html", state, context),
        _render("dashboard/_orgchart.html", state, context),
        _render("dashboard/_timeline.html", state, context),
        _render("dashboard/_report.html", state, context),
    ]
    return "".join(parts)


def update(state: MonitorState, after: int, context: dict[str, Any]) -> str:
    """What changed since sequence `after`: new timeline rows and the nodes they touch."""
    new = [entry for entry in state.timeline if entry.sequence > after]
    if not new:
        return ""
    parts = [_render("dashboard/_summary.html", state, context)]
    if state.root.status in ACTIONABLE:
        # The page was opened while the run was going: its next step appears without a reload.
        parts.append(_render("dashboard/_next_step.html", state, context))
    if any(entry.type in STRUCTURAL for entry in new):
        parts.append(_render("dashboard/_orgchart.html", state, context))
    else:
        slugs = _departments_named(state, after)
        for node in state.departments:
            if node.slug in slugs:
                parts.append(
                    render_to_string(
                        "dashboard/_department.html",
                        {**context, "state": state, "department": node, "oob": True},
                    )
                )
    parts.append(
        render_to_string("dashboard/_timeline_items.html", {**context, "entries": new, "oob": True})
    )
    if state.finished:
        parts.append(_render("dashboard/_report.html", state, context))
    return "".join(parts)


def next_steps(user: Any, root: Execution) -> dict[str, Any]:
    """Which of retry, resume, approve/reject this user may do with this run now."""
    if root.project is None or root.kind != Execution.Kind.ORCHESTRATION:
        return {}
    execute = has_permission(user, "agent:execute", root.project)
    decide = root.status == Execution.Status.AWAITING_APPROVAL and has_permission(
        user, "project:write", root.project
    )
    return {
        "retry": execute and has_work_to_retry(root),
        "resume": execute and root.status == Execution.Status.PAUSED,
        "decide": decide,
        "pending": pending_entities(root) if decide else [],
    }


def _departments_named(state: MonitorState, after: int) -> set[str]:
    """Departments the new events belong to (specialist events name only the agent)."""
    from executions.models import ExecutionEvent

    slugs: set[str] = set()
    by_specialist = {s.agent_id: node.slug for node in state.departments for s in node.specialists}
    for payload in ExecutionEvent.objects.filter(
        execution=state.root, sequence__gt=after
    ).values_list("payload", flat=True):
        slug = payload.get("department") or by_specialist.get(payload.get("specialistId", ""))
        if slug:
            slugs.add(str(slug))
    return slugs


def _render(template: str, state: MonitorState, context: dict[str, Any]) -> str:
    return render_to_string(template, {**context, "state": state, "oob": True})
