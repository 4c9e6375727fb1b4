"""Folding an orchestration's event log into progress: per department and specialist,
overall percentage and current phase, and what the budget left out. Used by the
`orchestrate` command, the status API (api/selectors.py) and the dashboard's monitor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PHASES = ("queued", "analysis", "departments", "validation", "storage", "complete", "failed")
ENDED = frozenset({"completed", "failed", "cancelled", "skipped"})
SPECIALIST_ENDED = frozenset({"completed", "rejected", "failed", "skipped"})


@dataclass
class SpecialistProgress:
    agent_id: str
    task: str = ""
    status: str = "spawned"  # spawned | executing | completed | rejected | failed | skipped
    progress: float = 0.0
    step: str = ""
    score: float | None = None
    decision: str = ""
    attempts: int = 0


@dataclass
class DepartmentProgress:
    slug: str
    relevance: float = 0.0
    # assigned | working | reviewing | completed | failed | cancelled | skipped
    status: str = "assigned"
    head: str = ""
    score: float | None = None
    decision: str = ""
    specialists: dict[str, SpecialistProgress] = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        if self.status in ENDED:
            return 1.0
        if not self.specialists:
            return 0.1 if self.status == "working" else 0.0
        done = sum(1 for s in self.specialists.values() if s.status in SPECIALIST_ENDED)
        partial = sum(
            s.progress for s in self.specialists.values() if s.status in {"spawned", "executing"}
        )
        return 0.1 + 0.8 * (done + partial * 0.5) / len(self.specialists)


@dataclass
class Progress:
    phase: str = "queued"
    departments: dict[str, DepartmentProgress] = field(default_factory=dict)
    overall: float | None = None
    consistency: float | None = None
    recommendation: str = ""
    error: str = ""
    stop_reason: str = ""
    omitted: list[dict[str, Any]] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)  # agents caught repeating tool calls
    last_sequence: int = 0
    events_seen: int = 0

    @property
    def percent(self) -> int:
        if self.phase == "complete":
            return 100
        base = {"queued": 0, "analysis": 5, "validation": 90, "storage": 95, "failed": 100}
        if self.phase != "departments":
            return base.get(self.phase, 0)
        if not self.departments:
            return 10
        share = sum(d.fraction for d in self.departments.values()) / len(self.departments)
        return int(10 + 78 * share)

    @property
    def departments_complete(self) -> int:
        return sum(1 for d in self.departments.values() if d.status in ENDED)

    def apply(self, sequence: int, type: str, payload: dict[str, Any]) -> None:
        self.last_sequence = max(self.last_sequence, sequence)
        self.events_seen += 1
        handler = _HANDLERS.get(type)
        if handler is not None:
            handler(self, payload)


def _department(progress: Progress, payload: dict[str, Any]) -> DepartmentProgress:
    slug = str(payload.get("department", "?"))
    return progress.departments.setdefault(slug, DepartmentProgress(slug))


def _specialist(progress: Progress, payload: dict[str, Any]) -> SpecialistProgress:
    department = _department(progress, payload)
    agent_id = str(payload.get("specialistId", "?"))
    return department.specialists.setdefault(agent_id, SpecialistProgress(agent_id))


def _start(progress: Progress, payload: dict[str, Any]) -> None:
    progress.phase = "analysis"


def _assigned(progress: Progress, payload: dict[str, Any]) -> None:
    progress.phase = "departments"
    _department(progress, payload).relevance = float(payload.get("relevance", 0))


def _head_start(progress: Progress, payload: dict[str, Any]) -> None:
    department = _department(progress, payload)
    department.status, department.head = "working", str(payload.get("agentId", ""))


def _spawned(progress: Progress, payload: dict[str, Any]) -> None:
    specialist = _specialist(progress, payload)
    specialist.task = str(payload.get("task", ""))
    specialist.status, specialist.progress = "spawned", 0.0
    specialist.attempts = int(payload.get("attempt", specialist.attempts + 1))


def _executing(progress: Progress, payload: dict[str, Any]) -> None:
    specialist = _specialist(progress, payload)
    specialist.status = "executing"
    specialist.progress = float(payload.get("progress", 0))
    specialist.step = str(payload.get("currentStep", ""))


def _complete(progress: Progress, payload: dict[str, Any]) -> None:
    specialist = _specialist(progress, payload)
    decision = str(payload.get("decision", ""))
    specialist.decision = decision
    score = payload.get("qualityScore")
    specialist.score = None if score is None else round(float(score) * 100, 1)
    specialist.progress = 1.0
    specialist.status = {"reject": "rejected", "retry": "executing"}.get(decision, "completed")
    if payload.get("status") in {"skipped", "failed", "cancelled"}:
        specialist.status = str(payload["status"])


def _review(progress: Progress, payload: dict[str, Any]) -> None:
    department = _department(progress, payload)
    department.status = "reviewing"
    overall = (payload.get("scores") or {}).get("overall")
    department.score = None if overall is None else round(float(overall) * 100, 1)
    department.decision = str(payload.get("decision", ""))


def _department_complete(progress: Progress, payload: dict[str, Any]) -> None:
    _department(progress, payload).status = str(payload.get("status", "completed"))


def _validation(progress: Progress, payload: dict[str, Any]) -> None:
    progress.phase = "validation"
    progress.overall = _percent(payload.get("overallScore"))
    progress.consistency = _percent(payload.get("consistency"))


def _storage(progress: Progress, payload: dict[str, Any]) -> None:
    progress.phase = "storage"


def _orchestration_complete(progress: Progress, payload: dict[str, Any]) -> None:
    progress.phase = "complete"
    result = payload.get("result") or {}
    progress.recommendation = str(result.get("recommendation", ""))
    progress.stop_reason = str(result.get("stopReason", ""))


def _error(progress: Progress, payload: dict[str, Any]) -> None:
    progress.phase = "failed"
    progress.error = str(payload.get("error", ""))
    progress.stop_reason = str((payload.get("context") or {}).get("stopReason", ""))


def _paused(progress: Progress, payload: dict[str, Any]) -> None:
    """The phase stays where the budget stopped it; the run's status says it waits."""
    progress.stop_reason = str(payload.get("reason", ""))


def _approval_requested(progress: Progress, payload: dict[str, Any]) -> None:
    """Known, not a phase: orchestration-complete follows and ends the stream."""


def _plan(progress: Progress, payload: dict[str, Any]) -> None:
    progress.omitted = list(payload.get("omitted") or [])


def _loop(progress: Progress, payload: dict[str, Any]) -> None:
    agent = str(payload.get("agentId", "?"))
    progress.loops.append(agent)
    department = progress.departments.get(str(payload.get("department", "")))
    specialist = department.specialists.get(agent) if department else None
    if specialist is not None:
        specialist.step = f"loop detected ({payload.get('pattern')}, {payload.get('action')})"


def _percent(value: Any) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


_HANDLERS = {
    "orchestration-start": _start,
    "department-assigned": _assigned,
    "department-head-start": _head_start,
    "specialist-spawned": _spawned,
    "specialist-executing": _executing,
    "specialist-complete": _complete,
    "department-review": _review,
    "department-complete": _department_complete,
    "quality-validation": _validation,
    "brain-storage": _storage,
    "orchestration-complete": _orchestration_complete,
    "error": _error,
    "orchestration-plan": _plan,
    "agent-loop-detected": _loop,
    "orchestration-paused": _paused,
    "approval-requested": _approval_requested,
}
