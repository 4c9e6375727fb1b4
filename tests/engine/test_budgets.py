import pytest

from engine.budgets import (
    PER_EXECUTION_TOKENS,
    PROJECT_DAILY_TOKENS,
    ROLE_LIMITS,
    BudgetLedger,
    BudgetLimit,
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


def test_reservations_count_against_the_limit_until_released():
    ledger = run_ledger()
    first = ledger.reserve(600, 0.1)
    with pytest.raises(AladdinError):
        ledger.reserve(500, 0.1)
    ledger.release(first)
    ledger.reserve(500, 0.1)
    assert ledger.reserved_tokens == 500


def test_reserving_exactly_up_to_the_limit_is_allowed():
    ledger = run_ledger()
    ledger.reserve(1000, 1.0)
    assert ledger.headroom_tokens() == 0


def test_an_exceeded_budget_names_the_limit_the_numbers_and_the_remedy():
    ledger = run_ledger(already_spent_tokens=700)
    ledger.reserve(200, None)
    with pytest.raises(AladdinError) as caught:
        ledger.reserve(150, None)
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


def test_a_refused_reservation_holds_nothing():
    ledger = run_ledger()
    with pytest.raises(AladdinError):
        ledger.reserve(5000, 0.0)
    assert ledger.reserved_tokens == 0
    assert ledger.headroom_tokens() == 1000


def test_every_limit_is_checked_and_the_tightest_one_refuses():
    ledger = BudgetLedger(
        [
            BudgetLimit("orchestration", max_tokens=50_000, max_usd=None),
            BudgetLimit(
                "project-daily", max_tokens=500_000, max_usd=None, already_spent_tokens=499_000
            ),
        ]
    )
    with pytest.raises(AladdinError) as caught:
        ledger.reserve(2000, None)
    assert caught.value.details["limit"] == "project-daily"
    assert ledger.headroom_tokens() == 1000


def test_usd_limits_are_enforced():
    ledger = BudgetLedger([BudgetLimit("orchestration", max_tokens=None, max_usd=0.5)])
    reservation = ledger.reserve(10, 0.3)
    ledger.settle(reservation, 10, 0.45)
    with pytest.raises(AladdinError) as caught:
        ledger.reserve(10, 0.1)
    assert caught.value.details["unit"] == "usd"
    assert "$0.5000" in str(caught.value)


def test_usd_rounding_noise_does_not_exceed_a_budget():
    ledger = BudgetLedger([BudgetLimit("run", max_tokens=None, max_usd=0.3)])
    ledger.settle(ledger.reserve(1, 0.1), 1, 0.1)
    ledger.settle(ledger.reserve(1, 0.2), 1, 0.2)
    assert ledger.spent_usd != 0.3  # 0.30000000000000004
    ledger.reserve(0, 0.0)


def test_settle_replaces_the_estimate_with_actual_usage():
    ledger = run_ledger()
    reservation = ledger.reserve(800, 0.5)
    ledger.settle(reservation, 120, 0.01)
    assert (ledger.spent_tokens, ledger.spent_usd) == (120, 0.01)
    assert (ledger.reserved_tokens, ledger.reserved_usd) == (0, 0)
    ledger.reserve(880, 0.9)


def test_settling_twice_is_refused_so_usage_is_not_double_counted():
    ledger = run_ledger()
    reservation = ledger.reserve(10, 0.0)
    ledger.settle(reservation, 10, 0.0)
    with pytest.raises(ValueError, match="already settled"):
        ledger.settle(reservation, 10, 0.0)
    assert ledger.spent_tokens == 10


def test_release_is_safe_to_repeat_and_after_settle():
    ledger = run_ledger()
    reservation = ledger.reserve(10, 0.0)
    ledger.settle(reservation, 10, 0.0)
    ledger.release(reservation)
    ledger.release(reservation)
    assert ledger.spent_tokens == 10


def test_unknown_cost_counts_as_zero_and_is_flagged():
    ledger = run_ledger()
    assert ledger.cost_unknown is False
    ledger.settle(ledger.reserve(10, None), 10, None)
    assert ledger.spent_usd == 0.0
    assert ledger.cost_unknown is True
    assert ledger.snapshot()["costUnknown"] is True


def test_a_ledger_without_limits_only_tracks_spending():
    ledger = BudgetLedger()
    ledger.settle(ledger.reserve(10**9, 10**6), 10**9, 1.5)
    assert ledger.spent_tokens == 10**9
    assert ledger.headroom_tokens() is None


def test_snapshot_reports_spending_per_limit():
    ledger = run_ledger(already_spent_tokens=100, already_spent_usd=0.25)
    ledger.settle(ledger.reserve(50, 0.05), 40, 0.04)
    ledger.reserve(30, 0.01)
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
def test_negative_amounts_are_refused(tokens, usd):
    with pytest.raises(ValueError):
        run_ledger().reserve(tokens, usd)


def test_negative_limits_are_refused():
    with pytest.raises(ValueError, match="max_tokens"):
        BudgetLimit("run", max_tokens=-1, max_usd=None)
