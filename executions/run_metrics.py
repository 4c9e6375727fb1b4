"""Agent and department metrics (spec 4.1), folded in memory and written in one go.

The recorder adds each finished run and each review here; a flush writes one UPDATE
per agent and per department touched, in one transaction. Every value is an
F-expression over the row's own values, so orchestrations that flush at the same
time still sum correctly, and k runs folded give what k single-run updates gave:
a running average over n rows plus k new values is (avg * n + sum) / (n + k).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest

from agents.models import Agent
from departments.models import Department


@dataclass
class _Runs:
    count: int = 0
    ok: int = 0
    elapsed_ms: int = 0

    def add(self, elapsed_ms: int, ok: bool) -> None:
        self.count += 1
        self.ok += 1 if ok else 0
        self.elapsed_ms += elapsed_ms


@dataclass
class _AgentTally:
    runs: _Runs = field(default_factory=_Runs)
    tokens: int = 0
    last_at: datetime | None = None
    scored: int = 0
    quality_sum: float = 0.0


@dataclass
class MetricsTally:
    """What a recorder's runs add to agents and departments since the last flush."""

    agents: dict[int, _AgentTally] = field(default_factory=dict)
    departments: dict[int, _Runs] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.agents or self.departments)

    def agent_run(
        self, agent_pk: int, elapsed_ms: int, ok: bool, tokens: int, at: datetime
    ) -> None:
        tally = self.agents.setdefault(agent_pk, _AgentTally())
        tally.runs.add(elapsed_ms, ok)
        tally.tokens += tokens
        tally.last_at = at if tally.last_at is None else max(tally.last_at, at)

    def agent_review(self, agent_pk: int, overall: float) -> None:
        tally = self.agents.setdefault(agent_pk, _AgentTally())
        tally.scored += 1
        tally.quality_sum += overall

    def department_run(self, department_pk: int, elapsed_ms: int, ok: bool) -> None:
        self.departments.setdefault(department_pk, _Runs()).add(elapsed_ms, ok)

    def write(self) -> None:
        """One transaction; rows in key order, so concurrent flushes never deadlock."""
        with transaction.atomic():
            for pk in sorted(self.agents):
                fields = _agent_fields(self.agents[pk])
                if fields:
                    Agent.objects.filter(pk=pk).update(**fields)
            for pk in sorted(self.departments):
                Department.objects.filter(pk=pk).update(**_run_fields(self.departments[pk]))


def _average(field_name: str, count_field: str, added_sum: float, added: int) -> Any:
    return (F(field_name) * F(count_field) + added_sum) / (F(count_field) + float(added))


def _run_fields(runs: _Runs) -> dict[str, Any]:
    """Each expression reads the row's values from before the UPDATE."""
    return {
        "average_execution_time": _average(
            "average_execution_time", "total_executions", runs.elapsed_ms, runs.count
        ),
        "successful_executions": F("successful_executions") + runs.ok,
        "success_rate": (F("successful_executions") + runs.ok)
        * 100.0
        / (F("total_executions") + float(runs.count)),
        "total_executions": F("total_executions") + runs.count,
    }


def _agent_fields(tally: _AgentTally) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if tally.runs.count:
        fields.update(_run_fields(tally.runs))
        fields["total_tokens_used"] = F("total_tokens_used") + tally.tokens
        last = Value(tally.last_at)
        # Never back in time when another orchestration flushed a later run first.
        fields["last_executed_at"] = Greatest(Coalesce(F("last_executed_at"), last), last)
    if tally.scored:
        fields["average_quality_score"] = _average(
            "average_quality_score", "scored_executions", tally.quality_sum, tally.scored
        )
        fields["scored_executions"] = F("scored_executions") + tally.scored
    return fields
