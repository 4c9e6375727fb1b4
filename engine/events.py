"""The 12 event types of spec 5.1, with the payload fields of spec 5.2, and two of
ours: `orchestration-plan` (the plan fitted to the budget, with what it cut) and
`agent-loop-detected` (an agent caught repeating its tool calls).

Each event is built by one function here, so every emitter produces the same
shape; EVENT_FIELDS lists the required payload keys per type, which the
schema test checks. Scores in events are fractions
(0..1) as in spec 5.2; Execution rows keep 0..100.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "orchestration-start": ("executionId", "timestamp", "context"),
    "department-assigned": ("executionId", "department", "relevance", "estimatedTime"),
    "department-head-start": ("executionId", "department", "agentId", "instructions"),
    "specialist-spawned": ("executionId", "department", "specialistId", "task", "estimatedTime"),
    "specialist-executing": ("executionId", "specialistId", "progress", "currentStep"),
    "specialist-complete": (
        "executionId",
        "specialistId",
        "output",
        "qualityScore",
        "executionTime",
    ),
    "department-review": (
        "executionId",
        "department",
        "reviewedBy",
        "scores",
        "decision",
        "issues",
        "suggestions",
    ),
    "department-complete": ("executionId", "department", "outputs"),
    "quality-validation": ("executionId", "overallScore", "consistency"),
    "brain-storage": ("executionId", "success", "entities"),
    "orchestration-complete": ("executionId", "result", "metrics"),
    "error": ("executionId", "error", "context"),
    "orchestration-plan": ("executionId", "departments", "omitted", "estimatedTokens"),
    "agent-loop-detected": ("executionId", "agentId", "pattern", "calls", "action"),
    # The run stops until a person acts: more budget then resume, or a review decision.
    "orchestration-paused": ("executionId", "reason", "budget", "metrics"),
    "approval-requested": ("executionId", "entities", "recommendation"),
}
EVENT_TYPES = tuple(EVENT_FIELDS)


@dataclass(frozen=True)
class Event:
    type: str
    payload: dict[str, Any]
    source_id: str | None = None


def fraction(score: float | None) -> float | None:
    return None if score is None else round(score / 100.0, 4)


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def orchestration_start(root: str, project_id: str, prompt: str, complexity: str) -> Event:
    return Event(
        "orchestration-start",
        {
            "executionId": root,
            "timestamp": now_iso(),
            "context": {"projectId": project_id, "userPrompt": prompt, "complexity": complexity},
        },
    )


def department_assigned(root: str, department: str, relevance: float, estimated_ms: int) -> Event:
    return Event(
        "department-assigned",
        {
            "executionId": root,
            "department": department,
            "relevance": round(relevance, 4),
            "estimatedTime": estimated_ms,
        },
    )


def department_head_start(
    root: str, department: str, agent_id: str, instructions: str, source: str
) -> Event:
    return Event(
        "department-head-start",
        {
            "executionId": root,
            "department": department,
            "agentId": agent_id,
            "instructions": instructions,
        },
        source,
    )


def specialist_spawned(
    root: str, department: str, specialist: str, task: str, estimated_ms: int, attempt: int
) -> Event:
    return Event(
        "specialist-spawned",
        {
            "executionId": root,
            "department": department,
            "specialistId": specialist,
            "task": task,
            "estimatedTime": estimated_ms,
            "attempt": attempt,
        },
    )


def specialist_executing(
    root: str,
    department: str,
    specialist: str,
    progress: float,
    step: str,
    source: str | None = None,
) -> Event:
    return Event(
        "specialist-executing",
        {
            "executionId": root,
            "department": department,
            "specialistId": specialist,
            "progress": round(min(max(progress, 0.0), 1.0), 3),
            "currentStep": step,
        },
        source,
    )


def specialist_complete(
    root: str,
    department: str,
    specialist: str,
    output: Any,
    overall: float | None,
    elapsed_ms: int,
    decision: str,
    source: str,
    *,
    status: str = "completed",
) -> Event:
    return Event(
        "specialist-complete",
        {
            "executionId": root,
            "department": department,
            "specialistId": specialist,
            "output": output,
            "qualityScore": fraction(overall),
            "executionTime": elapsed_ms,
            "decision": decision,
            "status": status,  # completed | failed | skipped | cancelled
        },
        source,
    )


def department_review(
    root: str,
    department: str,
    head: str,
    scores: dict[str, float],
    decision: str,
    issues: list[str],
    suggestions: list[str],
    source: str,
) -> Event:
    return Event(
        "department-review",
        {
            "executionId": root,
            "department": department,
            "reviewedBy": head,
            "scores": {name: fraction(value) for name, value in scores.items()},
            "decision": decision,
            "issues": issues,
            "suggestions": suggestions,
        },
        source,
    )


def department_complete(
    root: str, department: str, outputs: list[Any], status: str, source: str
) -> Event:
    return Event(
        "department-complete",
        {
            "executionId": root,
            "department": department,
            "outputs": outputs,
            "status": status,
        },
        source,
    )


def quality_validation(
    root: str, overall: float, consistency: float, decision: str, issues: list[str]
) -> Event:
    return Event(
        "quality-validation",
        {
            "executionId": root,
            "overallScore": fraction(overall),
            "consistency": fraction(consistency),
            "decision": decision,
            "issues": issues,
        },
    )


def brain_storage(root: str, success: bool, entities: int, note: str = "") -> Event:
    payload: dict[str, Any] = {"executionId": root, "success": success, "entities": entities}
    if note:
        payload["note"] = note
    return Event("brain-storage", payload)


def orchestration_complete(root: str, result: dict[str, Any], metrics: dict[str, Any]) -> Event:
    return Event(
        "orchestration-complete",
        {
            "executionId": root,
            "result": result,
            "metrics": metrics,
        },
    )


def error(root: str, message: str, context: dict[str, Any]) -> Event:
    return Event("error", {"executionId": root, "error": message, "context": context})


def orchestration_paused(root: str, reason: str, budget: str, metrics: dict[str, Any]) -> Event:
    """The run waits in `paused` with its checkpoints; resumed once the budget is raised."""
    payload = {"executionId": root, "reason": reason, "budget": budget, "metrics": metrics}
    return Event("orchestration-paused", payload)


def approval_requested(root: str, entities: int, recommendation: str) -> Event:
    """The run waits in `awaiting_approval`: nothing is stored until a person decides."""
    payload = {"executionId": root, "entities": entities, "recommendation": recommendation}
    return Event("approval-requested", payload)


def orchestration_plan(root: str, plan: dict[str, Any]) -> Event:
    """The departments that run (with at most how many specialists each), what the
    budget cut before the start, and the estimate the plan was fitted with."""
    return Event("orchestration-plan", {"executionId": root, **plan})


def agent_loop_detected(
    root: str,
    department: str,
    agent_id: str,
    pattern: str,
    calls: tuple[str, ...],
    action: str,
    source: str,
) -> Event:
    return Event(
        "agent-loop-detected",
        {
            "executionId": root,
            "department": department,
            "agentId": agent_id,
            "pattern": pattern,
            "calls": list(calls),
            "action": action,
        },
        source,
    )
