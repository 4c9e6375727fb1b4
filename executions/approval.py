"""Human approval before results enter the brain.

A project with `requires_approval` ends a run recommended for ingest in
`awaiting_approval`, its entities kept in the run's output and none stored. A
person with `project:write` approves all of them or some (by their index in
`pending_entities`), or rejects them with a comment. Only approved entities are
stored. The decision, who made it and when go on the run (`output.approval`)
and into the audit log; one HumanReview per department keeps the person's
decision beside the judge's, for the admin's agreement figures.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from asgiref.sync import async_to_sync
from django.db import transaction
from django.utils import timezone

from aladdin import audit
from brain.store import DjangoGraphStore
from executions.models import Execution, HumanReview
from executions.recorder import locked_run_row
from executions.runners import pipeline_llm


class ApprovalError(Exception):
    """The run is not waiting for approval, or the choice names unknown entities."""


def pending_entities(root: Execution) -> list[dict[str, Any]]:
    """The entities the run would store, numbered from 0 in report order."""
    output = _output(root)
    found: list[dict[str, Any]] = []
    for report in output.get("departmentReports") or []:
        if report.get("status") != "completed" or not report.get("report"):
            continue
        for entity in report.get("entities") or []:
            found.append(
                {
                    "index": len(found),
                    "department": report.get("department", ""),
                    "departmentRun": report.get("executionId", ""),
                    "judgeDecision": report.get("decision", ""),
                    "entity": entity,
                }
            )
    return found


def decide(
    root: Execution,
    user: Any,
    *,
    approve: bool,
    comment: str = "",
    indices: Collection[int] | None = None,
) -> Execution:
    """Approve (all entities, or those at `indices`) or reject a run that awaits
    approval; stores what was approved. Raises ApprovalError."""
    entities = pending_entities(root)
    chosen = _chosen(entities, approve, indices)
    now = timezone.now()
    approval = {
        "decision": "approved" if chosen else "rejected",
        "by": user.get_username() if user is not None else "",
        "at": now.isoformat(),
        "comment": comment,
        "approvedEntities": sorted(chosen),
        "rejectedEntities": [e["index"] for e in entities if e["index"] not in chosen],
    }
    with transaction.atomic():
        _close(root, approval, now)
        _record_reviews(root, entities, chosen, user, comment)
    stored = _store(root, [e["entity"] for e in entities if e["index"] in chosen])
    output = {**_output(root), "approval": approval, "entitiesStored": stored}
    Execution.objects.filter(pk=root.pk).update(output=output)
    audit.record(
        f"orchestration.{'approve' if approve else 'reject'}",
        "execution",
        root.execution_id,
        user=user,
        changes={k: approval[k] for k in ("approvedEntities", "rejectedEntities", "comment")},
    )
    root.refresh_from_db()
    return root


def _chosen(
    entities: list[dict[str, Any]], approve: bool, indices: Collection[int] | None
) -> set[int]:
    if not approve:
        return set()
    known = {e["index"] for e in entities}
    if indices is None:
        return known
    unknown = sorted(set(indices) - known)
    if unknown:
        raise ApprovalError(f"No pending entity with index {unknown}; there are {len(known)}.")
    return set(indices)


def _close(root: Execution, approval: dict[str, Any], now: Any) -> None:
    """awaiting_approval -> completed, once: a second decision finds it closed."""
    history = [*root.status_history, {"status": "completed", "at": now.isoformat()}]
    moved = Execution.objects.filter(pk=root.pk, status=Execution.Status.AWAITING_APPROVAL).update(
        status=Execution.Status.COMPLETED,
        status_history=history,
        output={**_output(root), "approval": approval},
        updated_at=now,
    )
    if not moved:
        raise ApprovalError("The run is not waiting for approval (already decided?).")


def _record_reviews(
    root: Execution, entities: list[dict[str, Any]], chosen: set[int], user: Any, comment: str
) -> None:
    by_run: dict[str, list[dict[str, Any]]] = {}
    for entity in entities:
        by_run.setdefault(entity["departmentRun"], []).append(entity)
    runs = {
        str(run.execution_id): run
        for run in Execution.objects.filter(execution_id__in=[k for k in by_run if k])
    }
    for run_id, items in by_run.items():
        approved = sum(1 for e in items if e["index"] in chosen)
        run = runs.get(run_id)
        HumanReview.objects.create(
            root=root,
            department_run=run,
            department_id=run.department_id if run else None,
            decision="approved" if approved else "rejected",
            judge_decision=items[0]["judgeDecision"],
            entities_approved=approved,
            entities_rejected=len(items) - approved,
            reviewer=user if getattr(user, "pk", None) else None,
            comment=comment,
        )


def _output(root: Execution) -> dict[str, Any]:
    return root.output if isinstance(root.output, dict) else {}


def _store(root: Execution, entities: list[dict[str, Any]]) -> int:
    if not entities or root.project is None:
        return 0
    store = DjangoGraphStore(llm=pipeline_llm(root.project), run_row=locked_run_row)
    return int(
        async_to_sync(store.store_results)(root.project.pk, str(root.execution_id), entities)
    )
