"""Budgets in the database: one daily account per project, shared by concurrent runs
and processes; USD 0 means nothing; demo-model runs are not charged."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection

from brain.models import Project
from engine.budgets import BudgetLedger, BudgetLimit
from engine.errors import AladdinError
from executions.budgets import DatabaseBudgetStore, open_account, usage_of
from executions.models import BudgetAccount, Execution
from executions.selectors import daily_key, spent_today
from tests.executions.conftest import PLAN, orchestrate, plan
from tests.support.fake_llm import FakeLLMServer, json_reply
from tests.support.threads import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


def reserve_many(key: str, times: int, granted: list[str]) -> None:
    store = DatabaseBudgetStore()
    try:
        for _ in range(times):
            hold, _ = async_to_sync(store.try_reserve)(key, (100, 0.01), (2000, 0.15), "t")
            if hold is not None:
                granted.append(hold)
    finally:
        connection.close()


def test_threads_with_their_own_connections_never_overshoot_one_account() -> None:
    open_account("project:1:2026-01-01")
    granted: list[str] = []
    run_in_threads(reserve_many, [("project:1:2026-01-01", 10, granted)] * 6)

    # 15 of the 60 fit the USD cap ($0.15 at $0.01 each), before the 20 tokens allow.
    assert len(granted) == 15
    usage = usage_of("project:1:2026-01-01")
    assert usage is not None
    assert (usage.reserved_tokens, round(usage.reserved_usd, 6)) == (1500, 0.15)


async def test_ledgers_of_two_runs_share_the_daily_account_in_the_database() -> None:
    await sync_to_async(open_account)("project:2:day", spent_tokens=900)
    store = DatabaseBudgetStore()
    limit = BudgetLimit("project-daily", max_tokens=1000, max_usd=None, key="project:2:day")
    first = BudgetLedger([limit], store, holder="a")
    second = BudgetLedger([limit], store, holder="b")

    reservation = await first.reserve(60, None)
    with pytest.raises(AladdinError) as caught:
        await second.reserve(60, None)
    assert caught.value.details == {
        "limit": "project-daily",
        "unit": "tokens",
        "max": 1000,
        "used": 900,
        "reserved": 60,
        "requested": 60,
    }
    await first.settle(reservation, 30, 0.0)
    await second.reserve(60, None)
    account = await BudgetAccount.objects.aget(key="project:2:day")
    assert (account.spent_tokens, account.reserved_tokens) == (930, 60)


async def test_six_concurrent_runs_never_spend_more_than_the_day_has_left(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, *[json_reply(plan(("story", 0.9))) for _ in range(7)])
    first = await orchestrate(project)
    assert first["status"] == "completed", first.get("error")
    one_run = first["metrics"]["tokensUsed"]
    spent_before, _ = await sync_to_async(spent_today)(project)
    # Room for one and a half runs today.
    project.token_budget_daily = spent_before + one_run * 3 // 2
    await project.asave(update_fields=["token_budget_daily"])
    llm.latency = 0.05  # the six runs' calls overlap

    responses = await asyncio.gather(*(orchestrate(project) for _ in range(6)))

    spent_after, _ = await sync_to_async(spent_today)(project)
    assert spent_after <= project.token_budget_daily
    used = sum(r["metrics"]["tokensUsed"] for r in responses)
    assert used <= one_run * 3 // 2
    assert any(
        (r.get("error") or {}).get("type") == "budget_exceeded" or r.get("stopReason")
        for r in responses
    )


async def test_a_usd_budget_of_zero_means_no_paid_calls(
    llm: FakeLLMServer, project: Project
) -> None:
    project.usd_budget_per_execution = Decimal("0")
    await project.asave(update_fields=["usd_budget_per_execution"])

    response = await orchestrate(project)

    assert response["status"] == "failed"
    assert llm.requests == []
    assert (response.get("error") or {}).get("type") == "budget_exceeded"


async def test_demo_model_runs_show_tokens_but_do_not_use_the_daily_budget(
    project: Project, settings: object
) -> None:
    settings.ALADDIN_DEFAULT_MODEL = settings.DEMO_MODEL  # type: ignore[attr-defined]

    response = await orchestrate(project)

    assert response["metrics"]["tokensUsed"] > 0
    assert await sync_to_async(spent_today)(project) == (0, 0.0)
    account = await sync_to_async(usage_of)(daily_key(project))
    assert account is None or account.spent_tokens == 0
    tokens = [
        row.total_tokens
        async for row in Execution.objects.filter(project=project).exclude(
            kind__in=("orchestration", "department")
        )
    ]
    assert sum(tokens) > 0


def test_a_new_ledger_sees_what_the_day_already_holds(project: Project) -> None:
    from executions.selectors import budget_ledger

    open_account(daily_key(project), spent_tokens=1234)

    ledger = budget_ledger(project, run_id="r1")

    limits = {item["name"]: item for item in ledger.snapshot()["limits"]}
    assert limits["project-daily"]["usedTokens"] == 1234
    assert ledger.headroom_tokens() == min(
        project.token_budget_per_execution, project.token_budget_daily - 1234
    )


async def test_a_direct_agent_run_on_a_project_is_charged_to_its_daily_account(
    llm: FakeLLMServer, project: Project
) -> None:
    from executions.runners import run_agent

    result = await run_agent("character-creator-001", "Sketch a rival", project=project)

    account = await sync_to_async(usage_of)(daily_key(project))
    assert (
        account is not None
        and account.spent_tokens == result.input_tokens + result.output_tokens > 0
    )


async def test_a_direct_demo_agent_run_is_not_charged_to_the_daily_account(
    project: Project, settings: object
) -> None:
    from executions.runners import run_agent

    settings.ALADDIN_DEFAULT_MODEL = settings.DEMO_MODEL  # type: ignore[attr-defined]

    await run_agent("character-creator-001", "Sketch a rival", project=project)

    account = await sync_to_async(usage_of)(daily_key(project))
    assert account is None or account.spent_tokens == 0
