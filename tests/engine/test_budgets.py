import pytest

from engine.budgets import (
    PER_EXECUTION_TOKENS,
    PROJECT_DAILY_TOKENS,
    ROLE_LIMITS,
    BudgetLedger,
    BudgetLimit,
    MemoryBudgetStore,
    TokenLimits,
    estimate_tokens,
)
from engine.errors import AladdinError, ErrorType


def test_role_limits_match_the_spec():
    assert dict(ROLE_LIMITS) == {
        "specialist": TokenLimits(4000, 2000, 6000),
        "department_head": TokenLimits(8000, 4000, 12000),
        "orchestrator": TokenLimits(12000, 6000, 18000),
    }
    assert (PROJECT_DAILY_TOKENS, PER_EXECUTION_TOKENS) == (500_000, 50_000)


@pytest.mark.parametrize(("text", "tokens"), [("", 0), ("a", 1), ("abcd", 1), ("abcde", 2)])
def test_estimate_tokens_rounds_a_quarter_of_the_characters_up(text, tokens):
    assert estimate_tokens(text) == tokens


def run_ledger(**kwargs):
    return BudgetLedger([BudgetLimit("orchestration", max_tokens=1000, max_usd=1.0, **kwargs)])


async def test_reservations_count_against_the_limit_until_released():
    ledger = run_ledger()
    first = await ledger.reserve(600, 0.1)
    with pytest.raises(AladdinError):
        await ledger.reserve(500, 0.1)
    await ledger.release(first)
    await ledger.reserve(500, 0.1)
    assert ledger.reserved_tokens == 500


async def test_reserving_exactly_up_to_the_limit_is_allowed():
    ledger = run_ledger()
    await ledger.reserve(1000, 1.0)
    assert ledger.headroom_tokens() == 0


async def test_an_exceeded_budget_names_the_limit_the_numbers_and_the_remedy():
    ledger = run_ledger(already_spent_tokens=700)
    await ledger.reserve(200, None)
    with pytest.raises(AladdinError) as caught:
        await ledger.reserve(150, None)
    error = caught.value
    assert error.type is ErrorType.BUDGET_EXCEEDED
    assert not error.retryable
    message = str(error)
    assert "orchestration" in message
    assert "1,000 tokens" in message and "700 tokens used" in message
    assert "200 tokens reserved" in message and "150 tokens requested" in message
    assert "raise the orchestration budget in the admin" in message
    assert error.details == {
        "limit": "orchestration",
        "unit": "tokens",
        "max": 1000,
        "used": 700,
        "reserved": 200,
        "requested": 150,
    }


async def test_a_refused_reservation_holds_nothing():
    ledger = run_ledger()
    with pytest.raises(AladdinError):
        await ledger.reserve(5000, 0.0)
    assert ledger.reserved_tokens == 0
    assert ledger.headroom_tokens() == 1000


async def test_every_limit_is_checked_and_the_tightest_one_refuses():
    ledger = BudgetLedger(
        [
            BudgetLimit("orchestration", max_tokens=50_000, max_usd=None),
            BudgetLimit(
                "project-daily", max_tokens=500_000, max_usd=None, already_spent_tokens=499_000
            ),
        ]
    )
    with pytest.raises(AladdinError) as caught:
        await ledger.reserve(2000, None)
    assert caught.value.details["limit"] == "project-daily"
    assert ledger.headroom_tokens() == 1000


async def test_usd_limits_are_enforced():
    ledger = BudgetLedger([BudgetLimit("orchestration", max_tokens=None, max_usd=0.5)])
    reservation = await ledger.reserve(10, 0.3)
    await ledger.settle(reservation, 10, 0.45)
    with pytest.raises(AladdinError) as caught:
        await ledger.reserve(10, 0.1)
    assert caught.value.details["unit"] == "usd"
    assert "$0.5000" in str(caught.value)


async def test_usd_rounding_noise_does_not_exceed_a_budget():
    ledger = BudgetLedger([BudgetLimit("run", max_tokens=None, max_usd=0.3)])
    await ledger.settle(await ledger.reserve(1, 0.1), 1, 0.1)
    await ledger.settle(await ledger.reserve(1, 0.2), 1, 0.2)
    assert ledger.spent_usd != 0.3  # 0.30000000000000004
    await ledger.reserve(0, 0.0)


async def test_settle_replaces_the_estimate_with_actual_usage():
    ledger = run_ledger()
    reservation = await ledger.reserve(800, 0.5)
    await ledger.settle(reservation, 120, 0.01)
    assert (ledger.spent_tokens, ledger.spent_usd) == (120, 0.01)
    assert (ledger.reserved_tokens, ledger.reserved_usd) == (0, 0)
    await ledger.reserve(880, 0.9)


async def test_settling_twice_is_refused_so_usage_is_not_double_counted():
    ledger = run_ledger()
    reservation = await ledger.reserve(10, 0.0)
    await ledger.settle(reservation, 10, 0.0)
    with pytest.raises(ValueError, match="already settled"):
        await ledger.settle(reservation, 10, 0.0)
    assert ledger.spent_tokens == 10


async def test_release_is_safe_to_repeat_and_after_settle():
    ledger = run_ledger()
    reservation = await ledger.reserve(10, 0.0)
    await ledger.settle(reservation, 10, 0.0)
    await ledger.release(reservation)
    await ledger.release(reservation)
    assert ledger.spent_tokens == 10


async def test_unknown_cost_counts_as_zero_and_is_flagged():
    ledger = run_ledger()
    assert ledger.cost_unknown is False
    await ledger.settle(await ledger.reserve(10, None), 10, None)
    assert ledger.spent_usd == 0.0
    assert ledger.cost_unknown is True
    assert ledger.snapshot()["costUnknown"] is True


async def test_a_ledger_without_limits_only_tracks_spending():
    ledger = BudgetLedger()
    await ledger.settle(await ledger.reserve(10**9, 10**6), 10**9, 1.5)
    assert ledger.spent_tokens == 10**9
    assert ledger.headroom_tokens() is None


async def test_snapshot_reports_spending_per_limit():
    ledger = run_ledger(already_spent_tokens=100, already_spent_usd=0.25)
    await ledger.settle(await ledger.reserve(50, 0.05), 40, 0.04)
    await ledger.reserve(30, 0.01)
    assert ledger.snapshot() == {
        "spentTokens": 40,
        "spentUsd": 0.04,
        "reservedTokens": 30,
        "reservedUsd": 0.01,
        "costUnknown": False,
        "limits": [
            {
                "name": "orchestration",
                "maxTokens": 1000,
                "maxUsd": 1.0,
                "usedTokens": 140,
                "usedUsd": 0.29,
            }
        ],
    }


@pytest.mark.parametrize(("tokens", "usd"), [(-1, 0.0), (1, -0.01)])
async def test_negative_amounts_are_refused(tokens, usd):
    with pytest.raises(ValueError):
        await run_ledger().reserve(tokens, usd)


def test_negative_limits_are_refused():
    with pytest.raises(ValueError, match="max_tokens"):
        BudgetLimit("run", max_tokens=-1, max_usd=None)


def test_a_nan_or_infinite_limit_is_refused():
    with pytest.raises(ValueError, match="max_usd"):
        BudgetLimit("run", max_tokens=None, max_usd=float("nan"))
    with pytest.raises(ValueError, match="max_tokens"):
        BudgetLimit("run", max_tokens=float("inf"), max_usd=None)  # type: ignore[arg-type]


async def test_a_usd_budget_of_zero_allows_nothing_that_costs_money():
    ledger = BudgetLedger([BudgetLimit("project-daily", max_tokens=None, max_usd=0.0)])
    with pytest.raises(AladdinError) as caught:
        await ledger.reserve(10, 0.0001)
    assert caught.value.details["unit"] == "usd"
    await ledger.reserve(10, 0.0)  # free calls (the demo model) still run


def daily(store: MemoryBudgetStore, max_tokens: int = 1000) -> BudgetLedger:
    return BudgetLedger(
        [BudgetLimit("project-daily", max_tokens=max_tokens, max_usd=None, key="project:1:day")],
        store,
    )


async def test_ledgers_on_one_shared_account_cannot_jointly_overshoot_it():
    store = MemoryBudgetStore()
    first, second = daily(store), daily(store)
    await first.reserve(600, None)
    with pytest.raises(AladdinError) as caught:
        await second.reserve(500, None)
    assert caught.value.details["reserved"] == 600
    await second.reserve(400, None)
    assert store.accounts["project:1:day"].reserved_tokens == 1000


async def test_what_one_ledger_settles_counts_for_every_ledger_on_the_account():
    store = MemoryBudgetStore()
    first, second = daily(store), daily(store)
    await first.settle(await first.reserve(100, None), 900, None)
    assert (first.spent_tokens, second.spent_tokens) == (900, 0)
    with pytest.raises(AladdinError):
        await second.reserve(101, None)


async def test_a_refusal_by_a_later_limit_gives_back_what_earlier_limits_held():
    store = MemoryBudgetStore()
    store.seed("project:1:day", tokens=950)
    ledger = BudgetLedger(
        [
            BudgetLimit("orchestration", max_tokens=50_000, max_usd=None, key="run:1"),
            BudgetLimit("project-daily", max_tokens=1000, max_usd=None, key="project:1:day"),
        ],
        store,
    )
    with pytest.raises(AladdinError):
        await ledger.reserve(100, None)
    assert store.accounts["run:1"].reserved_tokens == 0
    assert ledger.reserved_tokens == 0
