"""Fitting a plan to the budget before departments start (spec 7.1).

The orchestrator estimates each department's tokens (and dollars, where prices are
known) from `AgentSpec.average_tokens`: the agent's average over past runs, else
the estimate set in the admin, else its role's average, as the selectors find them;
or from the role limits of spec 7.1 (`maxTotal`) when there is none of these. When the
plan does not fit what is left of the run's budget and the project's day, it is cut in
a fixed order: fewer specialists per department first, then fewer departments, lowest
relevance first.
The smallest plan (one department, one specialist) is never cut: it runs, and the
budget stops it mid-run where it must.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.budgets import ROLE_LIMITS, BudgetLedger
from engine.complexity import ModelTier
from engine.ports import AgentSpec, CostEstimator


class PlannedTeam(Protocol):
    """What planning needs of a department (engine.department.DepartmentTeam)."""

    @property
    def slug(self) -> str: ...

    @property
    def head(self) -> AgentSpec: ...

    @property
    def specialists(self) -> tuple[AgentSpec, ...]: ...


@dataclass(frozen=True)
class Estimate:
    tokens: int = 0
    usd: float | None = 0.0  # None when some agent's price is unknown

    def __add__(self, other: Estimate) -> Estimate:
        usd = None if self.usd is None or other.usd is None else self.usd + other.usd
        return Estimate(self.tokens + other.tokens, usd)

    def times(self, n: int) -> Estimate:
        return Estimate(self.tokens * n, None if self.usd is None else self.usd * n)


@dataclass(frozen=True)
class Room:
    """What the run may still spend: the tightest of its budgets, per unit."""

    tokens: int | None
    usd: float | None
    limit: str = ""  # the budget that binds, for the reason shown to people

    def holds(self, estimate: Estimate) -> bool:
        if self.tokens is not None and estimate.tokens > self.tokens:
            return False
        return self.usd is None or estimate.usd is None or estimate.usd <= self.usd

    @classmethod
    def of(cls, ledger: BudgetLedger) -> Room:
        limits = ledger.snapshot()["limits"]
        usd_room = [
            (float(item["maxUsd"]) - float(item["usedUsd"]), item["name"])
            for item in limits
            if item["maxUsd"] is not None
        ]
        token_room = [
            (int(item["maxTokens"]) - int(item["usedTokens"]), item["name"])
            for item in limits
            if item["maxTokens"] is not None
        ]
        tokens = min(token_room) if token_room else None
        usd = min(usd_room) if usd_room else None
        return cls(
            tokens=None if tokens is None else max(tokens[0], 0),
            usd=None if usd is None else max(usd[0], 0.0),
            limit=(tokens or usd or (0, ""))[1],
        )


@dataclass
class Assignment:
    team: Any  # a PlannedTeam; Any keeps DepartmentTeam assignable without a cast
    relevance: float
    task: str
    max_specialists: int


@dataclass
class FittedPlan:
    kept: list[Assignment]
    omitted: list[dict[str, Any]] = field(default_factory=list)
    estimate: Estimate = Estimate()
    room: Room = Room(None, None)

    def as_event(self) -> dict[str, Any]:
        return {
            "departments": [
                {
                    "department": a.team.slug,
                    "relevance": round(a.relevance, 4),
                    "maxSpecialists": a.max_specialists,
                }
                for a in self.kept
            ],
            "omitted": self.omitted,
            "estimatedTokens": self.estimate.tokens,
            "estimatedCost": None if self.estimate.usd is None else round(self.estimate.usd, 6),
            "budgetTokens": self.room.tokens,
            "budgetUsd": self.room.usd,
        }


class Estimator:
    """Per-agent estimates: the average of its past runs, else its role's maxTotal."""

    def __init__(self, costs: CostEstimator | None = None) -> None:
        self.costs = costs

    def agent(self, spec: AgentSpec) -> Estimate:
        if spec.average_tokens > 0:
            return Estimate(int(spec.average_tokens), spec.average_cost)
        tokens = ROLE_LIMITS.get(spec.role, ROLE_LIMITS["specialist"]).max_total
        return Estimate(tokens, self._price(spec, tokens))

    def _price(self, spec: AgentSpec, tokens: int) -> float | None:
        model = spec.models.for_tier(ModelTier.STANDARD)
        if self.costs is None or not model:
            return None
        # Spec 7.1's estimateCost: a 70/30 split between input and output.
        return self.costs.estimate(model, int(tokens * 0.7), int(tokens * 0.3))

    def department(self, team: PlannedTeam, specialists: int) -> Estimate:
        """Selection and synthesis by the head, then per specialist its run and review."""
        head = self.agent(team.head)
        per_specialist = Estimate()
        if team.specialists:
            each = [self.agent(spec) for spec in team.specialists]
            mean = sum((e for e in each), Estimate())
            per_specialist = Estimate(
                mean.tokens // len(each), None if mean.usd is None else mean.usd / len(each)
            )
        return head.times(2) + (per_specialist + head).times(specialists)


def fit_plan(
    ranked: Sequence[tuple[Any, float, str]],
    room: Room,
    estimator: Estimator,
    validation: Estimate,
) -> FittedPlan:
    """Cut `ranked` (departments by falling relevance) until its estimate fits `room`."""
    plan = FittedPlan(
        kept=[Assignment(team, rel, task, len(team.specialists)) for team, rel, task in ranked],
        room=room,
    )
    while True:
        plan.estimate = _estimate(plan.kept, estimator, validation)
        if room.holds(plan.estimate):
            return plan
        fewer = next((a for a in reversed(plan.kept) if a.max_specialists > 1), None)
        if fewer is not None:
            fewer.max_specialists -= 1
            continue
        if len(plan.kept) <= 1:
            return plan  # the smallest plan runs; the budget stops it mid-run if need be
        dropped = plan.kept.pop()
        cost = _estimate([dropped], estimator, Estimate())
        why = _why(room, plan.estimate, cost)
        plan.omitted.append(omission(dropped.team.slug, None, "budget", why, stage="plan"))


def _why(room: Room, whole: Estimate, cut: Estimate) -> str:
    """Which budget the plan did not fit, in its own unit."""
    budget = f"the {room.limit or 'run'}"
    if room.tokens is not None and whole.tokens > room.tokens:
        return (
            f"estimated {cut.tokens:,} tokens; {budget} budget leaves {room.tokens:,} "
            "tokens for the whole plan"
        )
    usd = "unknown" if cut.usd is None else f"${cut.usd:.4f}"
    return f"estimated {usd}; the dollar budget leaves ${room.usd or 0:.4f} for the whole plan"


def _estimate(kept: Sequence[Assignment], estimator: Estimator, validation: Estimate) -> Estimate:
    total = sum((estimator.department(a.team, a.max_specialists) for a in kept), Estimate())
    return total + validation if len(kept) > 1 else total


def omission(
    department: str, agent: str | None, reason: str, detail: str, *, stage: str
) -> dict[str, Any]:
    """One entry of the ExecuteResponse's `omitted` list."""
    return {
        "department": department,
        "agent": agent,
        "reason": reason,
        "stage": stage,
        "detail": detail,
    }
