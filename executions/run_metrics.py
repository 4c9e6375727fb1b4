"""Agent and department metrics (spec 4.1), folded in memory and written in one go.

The recorder adds each finished run and each review here; a flush writes one UPDATE
per agent and per department touched, in one transaction. Every value is an
expression over the row's own values, so orchestrations that flush at the same
time still sum correctly, and k runs folded give what k single-run updates gave:
a running average over n rows plus k new values is (avg * n + sum) / (n + k).
"""

from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from agents.models import Agent
from departments.models import Department
from executions.fixed_sql import changed_counts, table_of


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
        """One transaction; rows in key order (agents, then departments), so concurrent
        flushes never deadlock.
        The statements are fixed SQL text with parameters: building them through the
        ORM (seven arithmetic F-expressions a row) cost about 15% of the CPU of 20
        orchestrations at once (`make bench` profile)."""
        agents, departments = table_of(Agent), table_of(Department)
        statements = []
        for pk in sorted(self.agents):
            assignments, params = _agent_update(self.agents[pk])
            if assignments:
                statements.append(
                    (f"UPDATE {agents} SET {assignments} WHERE id = %s", [*params, pk])
                )
        for pk in sorted(self.departments):
            statements.append((_runs_sql(departments), [*_run_params(self.departments[pk]), pk]))
        with transaction.atomic(), connection.cursor() as cursor:
            # Neighbours of the same text go together (one round trip on PostgreSQL),
            # still in key order.
            for sql, group in itertools.groupby(statements, key=operator.itemgetter(0)):
                changed_counts(cursor, sql, [params for _, params in group], returning="id")


# Each right-hand side reads the row's values from before the UPDATE (SQL's rule, as
# with F-expressions). A running average over n rows plus k new values summing to s
# is (avg * n + s) / (n + k); k and s are passed as floats, so division is never
# integer division.
_RUNS = (
    "average_execution_time = (average_execution_time * total_executions + %s) "
    "/ (total_executions + %s), "
    "successful_executions = successful_executions + %s, "
    "success_rate = (successful_executions + %s) * 100.0 / (total_executions + %s), "
    "total_executions = total_executions + %s"
)


def _runs_sql(table: str) -> str:
    return f"UPDATE {table} SET {_RUNS} WHERE id = %s"


def _run_params(runs: _Runs) -> list[Any]:
    return [
        float(runs.elapsed_ms),
        float(runs.count),
        runs.ok,
        runs.ok,
        float(runs.count),
        runs.count,
    ]


def _agent_update(tally: _AgentTally) -> tuple[str, list[Any]]:
    """The SET list and its parameters for one agent: its runs, its reviews, or both."""
    parts, params = [], []
    if tally.runs.count:
        # Never back in time when another orchestration flushed a later run first.
        greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
        parts.append(
            f"{_RUNS}, total_tokens_used = total_tokens_used + %s, "
            f"last_executed_at = {greatest}(COALESCE(last_executed_at, %s), %s)"
        )
        last = connection.ops.adapt_datetimefield_value(tally.last_at)
        params += [*_run_params(tally.runs), tally.tokens, last, last]
    if tally.scored:
        parts.append(
            "average_quality_score = (average_quality_score * scored_executions + %s) "
            "/ (scored_executions + %s), scored_executions = scored_executions + %s"
        )
        params += [tally.quality_sum, float(tally.scored), tally.scored]
    return ", ".join(parts), params
