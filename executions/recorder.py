"""DjangoRunRecorder: every agent run as an Execution row (implements RunRecorder).

Rows are written as the run goes (pending -> running -> finished), so a crash
or a cancellation leaves a truthful record. Metrics of agents and departments
are updated with single UPDATE statements, safe under concurrent runs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone

from agents.models import Agent
from departments.models import Department
from engine.ports import RunFinish, RunStart
from engine.quality import DIMENSIONS
from executions.models import Execution

SCORE_FIELDS = (*DIMENSIONS, "overall")


class DjangoRunRecorder:
    def __init__(self, requested_by_id: int | None = None) -> None:
        self.requested_by_id = requested_by_id
        self._pks: dict[str, int] = {}
        self._history: dict[str, list[dict[str, str]]] = {}
        self._started: dict[str, Any] = {}
        self._departments: dict[str, int] = {}
        # What start() knew about each run, so finishing it needs no re-read.
        self._facts: dict[str, tuple[int | None, str, int | None]] = {}

    async def start(self, run: RunStart) -> str:
        spec = run.agent
        now = timezone.now()
        history = [{"status": "pending", "at": now.isoformat()}]
        execution = await Execution.objects.acreate(
            kind=run.kind,
            agent_id=spec.pk if spec else None,
            agent_version=spec.version if spec else "",
            department_id=await self._department_pk(spec.department if spec else None),
            project_id=run.project_id,
            parent_id=await self.pk(run.parent_id),
            root_id=await self.pk(run.root_id),
            requested_by_id=self.requested_by_id,
            prompt=run.prompt,
            params=run.params,
            status=Execution.Status.PENDING,
            status_history=history,
        )
        key = str(execution.execution_id)
        self._pks[key] = execution.pk
        self._facts[key] = (execution.agent_id, execution.kind, execution.department_id)
        self._history[key] = history
        return key

    async def pk(self, execution_id: str | None) -> int | None:
        if execution_id is None:
            return None
        return await self.require_pk(execution_id)

    async def require_pk(self, execution_id: str) -> int:
        if execution_id not in self._pks:
            row = await Execution.objects.only("pk").aget(execution_id=execution_id)
            self._pks[execution_id] = row.pk
        return self._pks[execution_id]

    async def mark_running(self, execution_id: str) -> None:
        now = timezone.now()
        self._started[execution_id] = now
        history = self._append(execution_id, "running", now)
        await Execution.objects.filter(pk=await self.require_pk(execution_id)).aupdate(
            status=Execution.Status.RUNNING, started_at=now, status_history=history
        )

    async def finish(self, execution_id: str, result: RunFinish) -> None:
        now = timezone.now()
        started = self._started.get(execution_id, now)
        elapsed_ms = int((now - started).total_seconds() * 1000)
        history = self._append(execution_id, result.status, now)
        fields: dict[str, Any] = {
            "status": result.status,
            "status_history": history,
            "completed_at": now,
            "execution_time": elapsed_ms,
            "output": result.output,
            "raw_output": result.raw_output,
            "run_state": {"messages": result.messages},
            "model": result.model,
            "input_tokens": result.input_tokens,
            "output_tokens": result.output_tokens,
            "total_tokens": result.input_tokens + result.output_tokens,
            "cost": None if result.cost is None else Decimal(str(round(result.cost, 6))),
            "error": result.error,
            "error_type": (result.error or {}).get("type", ""),
            "retry_count": result.retry_count,
            "retry_reason": result.retry_reason[:5000],
        }
        pk = await self.require_pk(execution_id)
        await Execution.objects.filter(pk=pk).aupdate(**fields)
        agent_pk, kind, department_pk = await self._facts_of(execution_id, pk)
        if agent_pk is not None:
            await update_agent_metrics(
                agent_pk,
                elapsed_ms,
                result.status == "completed",
                result.input_tokens + result.output_tokens,
            )
        if kind == Execution.Kind.DEPARTMENT and department_pk is not None:
            await update_department_metrics(department_pk, elapsed_ms, result.status == "completed")

    async def record_review(
        self,
        execution_id: str,
        *,
        scores: dict[str, float],
        decision: str,
        review_status: str,
        reviewed_by_pk: int | None,
        notes: str,
    ) -> None:
        fields: dict[str, Any] = {
            f"{name}_score": scores[name] for name in SCORE_FIELDS if name in scores
        }
        fields.update(
            decision=decision,
            review_status=review_status,
            reviewed_by_id=reviewed_by_pk,
            reviewed_at=timezone.now(),
            review_notes=notes[:10000],
        )
        pk = await self.require_pk(execution_id)
        await Execution.objects.filter(pk=pk).aupdate(**fields)
        agent_pk, _, _ = await self._facts_of(execution_id, pk)
        if agent_pk is not None and "overall" in scores:
            await update_agent_quality(agent_pk, scores["overall"])

    async def _facts_of(self, execution_id: str, pk: int) -> tuple[int | None, str, int | None]:
        if execution_id not in self._facts:
            row = await Execution.objects.only("agent_id", "kind", "department_id").aget(pk=pk)
            self._facts[execution_id] = (row.agent_id, row.kind, row.department_id)
        return self._facts[execution_id]

    def _append(self, execution_id: str, status: str, at: Any) -> list[dict[str, str]]:
        history = self._history.setdefault(execution_id, [])
        history.append({"status": status, "at": at.isoformat()})
        return list(history)

    async def _department_pk(self, slug: str | None) -> int | None:
        if slug is None:
            return None
        if slug not in self._departments:
            department = await Department.objects.only("pk").aget(slug=slug)
            self._departments[slug] = department.pk
        return self._departments[slug]


def _running_average(field: str, count_field: str, value: float) -> Any:
    return (F(field) * F(count_field) + value) / (F(count_field) + 1.0)


def _run_counts(elapsed_ms: int, ok: bool) -> dict[str, Any]:
    """The run metrics agents and departments share (spec 4.1), as one UPDATE's
    expressions: each reads the row's values from before the UPDATE."""
    success = 1 if ok else 0
    return {
        "average_execution_time": _running_average(
            "average_execution_time", "total_executions", elapsed_ms
        ),
        "successful_executions": F("successful_executions") + success,
        "success_rate": (F("successful_executions") + success)
        * 100.0
        / (F("total_executions") + 1.0),
        "total_executions": F("total_executions") + 1,
    }


async def update_agent_metrics(agent_pk: int, elapsed_ms: int, ok: bool, tokens: int) -> None:
    await Agent.objects.filter(pk=agent_pk).aupdate(
        **_run_counts(elapsed_ms, ok),
        total_tokens_used=F("total_tokens_used") + tokens,
        last_executed_at=timezone.now(),
    )


async def update_agent_quality(agent_pk: int, overall: float) -> None:
    await Agent.objects.filter(pk=agent_pk).aupdate(
        average_quality_score=_running_average(
            "average_quality_score", "scored_executions", overall
        ),
        scored_executions=F("scored_executions") + 1,
    )


async def update_department_metrics(department_pk: int, elapsed_ms: int, ok: bool) -> None:
    await Department.objects.filter(pk=department_pk).aupdate(**_run_counts(elapsed_ms, ok))
