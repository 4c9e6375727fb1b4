"""Budget leases on the database: a few statements per run, and the guarantees of a
hold per call (no joint overshoot, crashes released by maintenance, resumes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection

from brain.models import Project
from engine.budgets import BudgetLedger, BudgetLimit
from engine.errors import AladdinError
from executions.budgets import leased_store, open_account, usage_of
from executions.maintenance import cleanup
from executions.models import BudgetAccount, BudgetHold, Execution
from executions.selectors import budget_ledger, daily_key
from executions.services import create_orchestration
from tests.executions.conftest import PLAN, orchestrate, plan
from tests.support.fake_llm import FakeLLMServer, json_reply
from tests.support.threads import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)

DAY = "project:1:2026-01-01"
BUDGET_TABLES = re.compile(r"executions_budget(account|hold)")


async def run_calls(holder: str, calls: int, granted: list[int]) -> None:
    limit = BudgetLimit("project-daily", max_tokens=2000, max_usd=0.15, key=DAY)
    ledger = BudgetLedger([limit], leased_store(f"run:{holder}"), holder=holder)
    try:
        for _ in range(calls):
            try:
                reservation = await ledger.reserve(100, 0.01)
            except AladdinError:
                continue
            await ledger.settle(reservation, 100, 0.01)
            granted.append(100)
    finally:
        await ledger.aclose()


def run_in_thread(holder: str, granted: list[int]) -> None:
    try:
        async_to_sync(run_calls)(holder, 10, granted)
    finally:
        connection.close()


def test_leased_runs_in_threads_with_their_own_connections_never_overshoot_one_account() -> None:
    open_account(DAY)
    granted: list[int] = []
    run_in_threads(run_in_thread, [(f"t{n}", granted) for n in range(6)])

    usage = usage_of(DAY)
    assert usage is not None
    # $0.15 allows 15 calls of $0.01 at most, whatever the leases held meanwhile.
    assert 0 < len(granted) <= 15
    assert (usage.spent_tokens, round(usage.spent_usd, 6)) == (
        100 * len(granted),
        round(0.01 * len(granted), 6),
    )
    assert (usage.reserved_tokens, usage.reserved_usd) == (0, 0.0)
    assert not BudgetHold.objects.exists()


def counting(statements: list[str]) -> Callable[..., Any]:
    def wrapper(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        statements.append(sql)
        return execute(sql, *args)

    return wrapper


async def test_one_orchestration_touches_the_budget_tables_a_handful_of_times(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("story", 0.9), ("visual", 0.8))))
    statements: list[str] = []
    # The connection of the thread the ORM runs in (not this loop's thread).
    await sync_to_async(lambda: connection.execute_wrappers.append(counting(statements)))()
    try:
        response = await orchestrate(project)
    finally:
        await sync_to_async(lambda: connection.execute_wrappers.clear())()

    assert response["status"] == "completed", response.get("error")
    calls = len(llm.requests)
    budget = [sql for sql in statements if BUDGET_TABLES.search(sql)]
    # A hold per call took 4 statements per call and account (2 accounts): 8 per call.
    assert calls >= 10 and 0 < len(budget) <= 30
    account = await sync_to_async(usage_of)(daily_key(project))
    assert account is not None and account.reserved_tokens == 0
    assert account.spent_tokens == response["metrics"]["tokensUsed"]
    assert not await BudgetHold.objects.aexists()


async def test_a_crashed_run_leaves_its_leases_as_holds_that_maintenance_releases(
    project: Project,
) -> None:
    root = await sync_to_async(create_orchestration)(project, "Create a villain")
    run_id = str(root.execution_id)
    ledger = await sync_to_async(budget_ledger)(project, run_id=run_id)
    await ledger.reserve(100, None)  # the process dies here: the ledger is never closed
    holds = [hold async for hold in BudgetHold.objects.filter(holder=run_id)]
    assert len(holds) == 2  # one lease on the run's account, one on the day's
    await Execution.objects.filter(pk=root.pk).aupdate(status=Execution.Status.FAILED)

    report = await sync_to_async(cleanup)()

    assert report.released_holds == 2
    async for account in BudgetAccount.objects.all():
        assert (account.reserved_tokens, account.reserved_micros) == (0, 0)


async def test_a_resumed_run_goes_on_from_what_its_account_spent_and_drops_stale_holds(
    project: Project,
) -> None:
    ledger = await sync_to_async(budget_ledger)(project, run_id="r-resumed")
    await ledger.settle(await ledger.reserve(500, None), 400, None)
    await ledger.aclose()
    crashed = await sync_to_async(budget_ledger)(project, run_id="r-resumed")
    await crashed.reserve(300, None)  # never settled nor closed

    resumed = await sync_to_async(budget_ledger)(project, run_id="r-resumed")

    run = await sync_to_async(usage_of)("run:r-resumed")
    assert run is not None and (run.spent_tokens, run.reserved_tokens) == (400, 0)
    limits = {item["name"]: item for item in resumed.snapshot()["limits"]}
    assert limits["orchestration"]["usedTokens"] == 400
    assert not await BudgetHold.objects.filter(holder="r-resumed").aexists()
    await resumed.settle(await resumed.reserve(100, None), 100, None)
    await resumed.aclose()
    run = await sync_to_async(usage_of)("run:r-resumed")
    assert run is not None and (run.spent_tokens, run.reserved_tokens) == (500, 0)
