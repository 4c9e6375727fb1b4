"""Fitting a plan to the budget: estimates from past runs or role limits, and the
order of cuts (fewer specialists first, then departments, lowest relevance first)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.budgets import BudgetLedger, BudgetLimit
from engine.planning import Estimate, Estimator, Room, fit_plan
from engine.ports import AgentSpec, ModelChoice


def spec(agent_id: str, role: str = "specialist", tokens: float = 0.0) -> AgentSpec:
    return AgentSpec(
        agent_id=agent_id,
        name=agent_id,
        role=role,
        department=None,
        instructions_prompt="",
        models=ModelChoice(explicit="m"),
        average_tokens=tokens,
        average_cost=None,
    )


@dataclass(frozen=True)
class Team:
    slug: str
    head: AgentSpec
    specialists: tuple[AgentSpec, ...]


def team(slug: str, specialists: int, tokens: float = 1000.0) -> Team:
    head = spec(f"{slug}-head", "department_head", tokens)
    return Team(slug, head, tuple(spec(f"{slug}-{i}", tokens=tokens) for i in range(specialists)))


RANKED = [
    (team("character", 3), 0.9, "a"),
    (team("story", 2), 0.8, "b"),
    (team("audio", 2), 0.6, "c"),
]


def fitted(tokens: int | None) -> tuple[list[tuple[str, int]], list[str]]:
    plan = fit_plan(RANKED, Room(tokens, None, "orchestration"), Estimator(), Estimate(1000, None))
    return [(a.team.slug, a.max_specialists) for a in plan.kept], [
        o["department"] for o in plan.omitted
    ]


def test_an_agent_without_past_runs_is_estimated_at_its_role_max_total() -> None:
    estimator = Estimator()
    assert estimator.agent(spec("s")).tokens == 6000
    assert estimator.agent(spec("h", "department_head")).tokens == 12000
    assert estimator.agent(spec("s", tokens=750.0)).tokens == 750


def test_a_department_costs_selection_synthesis_and_a_run_and_review_per_specialist() -> None:
    # head 1000 x 2 + (specialist 1000 + review 1000) x 3
    assert Estimator().department(team("character", 3), 3).tokens == 8000


def test_a_plan_that_fits_is_kept_whole() -> None:
    assert fitted(None) == ([("character", 3), ("story", 2), ("audio", 2)], [])
    assert fitted(30_000)[1] == []


def test_specialists_go_first_lowest_relevance_first() -> None:
    # Whole plan: 8000 + 6000 + 6000 + validation 1000 = 21000.
    assert fitted(19_000) == ([("character", 3), ("story", 2), ("audio", 1)], [])
    assert fitted(17_000) == ([("character", 3), ("story", 1), ("audio", 1)], [])
    assert fitted(13_000) == ([("character", 1), ("story", 1), ("audio", 1)], [])


def test_then_departments_go_lowest_relevance_first_down_to_the_smallest_plan() -> None:
    assert fitted(9_000) == ([("character", 1), ("story", 1)], ["audio"])
    assert fitted(1_000) == ([("character", 1)], ["audio", "story"])


def test_room_is_the_tightest_budget_left() -> None:
    ledger = BudgetLedger(
        [
            BudgetLimit("orchestration", 50_000, None),
            BudgetLimit("project-daily", 500_000, 1.0, already_spent_tokens=480_000),
        ]
    )
    room = Room.of(ledger)
    assert (room.tokens, room.usd, room.limit) == (20_000, 1.0, "project-daily")


def test_a_dollar_budget_cuts_when_prices_are_known() -> None:
    priced = [(replace(RANKED[0][0], specialists=()), 0.9, "a")]
    estimator = Estimator()
    room = Room(None, 0.0, "orchestration")
    plan = fit_plan(priced, room, estimator, Estimate(0, 0.0))
    assert [a.team.slug for a in plan.kept] == ["character"]  # the smallest plan still runs
    assert room.holds(Estimate(10, 0.0)) and not room.holds(Estimate(10, 0.01))
