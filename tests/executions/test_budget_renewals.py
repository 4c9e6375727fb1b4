"""DatabaseBudgetStore.renew, a lease's one atomic step, on the test run's database:
in Python on SQLite, in one server function on PostgreSQL; the same answers on both."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.db import connection

from engine.budgets import Usage
from executions.budgets import DatabaseBudgetStore, open_account, usage_of
from executions.models import BudgetHold
from tests.executions.test_budget_leases import counting
from tests.support.threads import run_in_threads

pytestmark = pytest.mark.django_db

KEY = "project:7:2026-12-01"
CAPS = (1000, 0.10)  # tokens, USD


def renew(
    lease: str | None,
    sizes: list[tuple[int, float]],
    *,
    spent: tuple[int, float] = (0, 0.0),
    maximum: tuple[int | None, float | None] = CAPS,
    key: str = KEY,
) -> tuple[str | None, int, Usage]:
    return async_to_sync(DatabaseBudgetStore().renew)(key, lease, spent, sizes, maximum, "run-1")


def held() -> list[tuple[str, int, int]]:
    return list(BudgetHold.objects.order_by("pk").values_list("holder", "tokens", "micros"))


def test_a_first_renewal_holds_the_first_size_that_fits() -> None:
    open_account(KEY, spent_tokens=100)

    hold, index, usage = renew(None, [(400, 0.04), (100, 0.01), (0, 0.0)])

    assert hold is not None and index == 0
    assert usage == Usage(spent_tokens=100, reserved_tokens=400, reserved_usd=0.04)
    assert held() == [("run-1", 400, 40_000)]
    assert str(BudgetHold.objects.get().pk) == hold


def test_a_block_that_does_not_fit_the_cap_falls_back_to_the_calls_amount() -> None:
    open_account(KEY, spent_tokens=800)

    hold, index, usage = renew(None, [(400, 0.04), (150, 0.01), (0, 0.0)])

    assert hold is not None and index == 1
    assert (usage.spent_tokens, usage.reserved_tokens) == (800, 150)
    assert held() == [("run-1", 150, 10_000)]


def test_when_nothing_fits_the_last_size_is_held_whatever_the_account_holds() -> None:
    open_account(KEY, spent_tokens=990)
    first, _, _ = renew(None, [(10, 0.0)])  # what a call in flight holds

    hold, index, usage = renew(first, [(60, 0.0), (30, 0.0), (10, 0.0)], spent=(0, 0.0))

    assert index == 2 and hold is not None and hold != first
    assert (usage.spent_tokens, usage.reserved_tokens) == (990, 10)
    assert held() == [("run-1", 10, 0)]


def test_a_renewal_gives_back_the_old_hold_and_pushes_what_the_run_spent() -> None:
    open_account(KEY)
    first, _, _ = renew(None, [(400, 0.04)])

    hold, index, usage = renew(first, [(300, 0.03), (0, 0.0)], spent=(250, 0.025))

    assert index == 0 and hold is not None and hold != first
    # The old 400 went back, 300 are held, 250 are spent: 550 of the 1,000 in use.
    assert usage == Usage(spent_tokens=250, reserved_tokens=300, spent_usd=0.025, reserved_usd=0.03)
    assert held() == [("run-1", 300, 30_000)]


def test_the_caps_count_the_old_hold_as_given_back_and_the_spending_as_added() -> None:
    open_account(KEY, spent_tokens=500)
    first, _, _ = renew(None, [(400, 0.0)])  # 900 of 1,000 in use

    # 400 back, 300 spent, 200 held: 500 + 300 + 200 = 1,000, just within.
    _, index, usage = renew(first, [(200, 0.0), (0, 0.0)], spent=(300, 0.0))

    assert index == 0
    assert (usage.spent_tokens, usage.reserved_tokens) == (800, 200)


def test_the_usd_cap_is_held_in_whole_micro_dollars() -> None:
    open_account(KEY)

    _, index, usage = renew(None, [(1, 0.100002), (1, 0.1), (0, 0.0)], maximum=(None, 0.1))

    assert index == 1  # $0.100002 is over the $0.10 cap by more than its 1 micro-dollar tolerance
    assert usage.reserved_usd == 0.1


def test_an_old_hold_that_maintenance_released_gives_nothing_back_twice() -> None:
    open_account(KEY)
    first, _, _ = renew(None, [(400, 0.04)])
    assert first is not None
    BudgetHold.objects.filter(pk=int(first)).delete()  # as release_holds, amount aside

    _, _, usage = renew(first, [(100, 0.01)])

    assert (usage.reserved_tokens, round(usage.reserved_usd, 6)) == (500, 0.05)


def test_renewing_to_nothing_leaves_no_hold() -> None:
    open_account(KEY)
    first, _, _ = renew(None, [(400, 0.04)])

    hold, index, usage = renew(first, [(0, 0.0)], spent=(120, 0.012))

    assert (hold, index) == (None, 0)
    assert usage == Usage(spent_tokens=120, spent_usd=0.012)
    assert held() == []


def test_an_account_that_does_not_exist_holds_nothing() -> None:
    hold, index, usage = renew(None, [(400, 0.04), (0, 0.0)], key="project:404:day")

    assert (hold, index, usage) == (None, 1, Usage())
    assert usage_of("project:404:day") is None and held() == []


def test_on_postgresql_a_renewal_is_one_statement() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs in the process: no round trip to save")
    open_account(KEY)
    statements: list[str] = []
    with connection.execute_wrapper(counting(statements)):
        first, _, _ = renew(None, [(400, 0.04)])
        renew(first, [(300, 0.03), (0, 0.0)], spent=(250, 0.025))

    assert len(statements) == 2
    assert all("aladdin_renew_lease" in sql for sql in statements)


@pytest.mark.django_db(transaction=True)
def test_renewals_in_threads_with_their_own_connections_never_overshoot_one_account() -> None:
    open_account(KEY)
    granted: list[int] = []

    def take_blocks() -> None:
        lease = None
        try:
            for _ in range(5):
                hold, index, _ = renew(lease, [(100, 0.0), (0, 0.0)], spent=(0, 0.0))
                if index == 0:
                    granted.append(100)
                lease = hold
        finally:
            connection.close()

    run_in_threads(take_blocks, [()] * 6)

    usage = usage_of(KEY)
    assert usage is not None
    # Each thread keeps one lease of 100 at most: never more than the 1,000 held.
    assert usage.reserved_tokens == sum(tokens for _, tokens, _ in held()) <= 1000
    assert len(granted) == 30  # 6 leases of 100 always fit: each renewal gives its own back
