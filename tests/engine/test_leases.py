"""Budget leases: one hold per account per run, served in memory, with the same
guarantees as a hold per call."""

import asyncio
import random

import pytest

from engine.budgets import BudgetLedger, BudgetLimit, MemoryBudgetStore
from engine.errors import AladdinError
from engine.leases import LeasedBudgetStore

DAY = "project:1:day"
RUN = "run:1"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def ledger_on(
    store: MemoryBudgetStore,
    *,
    day_tokens: int = 10_000,
    run_tokens: int | None = None,
    clock: Clock | None = None,
    holder: str = "r1",
) -> BudgetLedger:
    limits = [BudgetLimit("project-daily", day_tokens, None, key=DAY)]
    private = []
    if run_tokens is not None:
        limits.insert(0, BudgetLimit("orchestration", run_tokens, None, key=f"run:{holder}"))
        private.append(f"run:{holder}")
    leased = LeasedBudgetStore(
        store, private=private, calls_per_lease=4, clock=clock or Clock(), sync_seconds=5.0
    )
    return BudgetLedger(limits, leased, holder=holder)


async def test_calls_are_served_from_one_lease_of_a_few_calls_worth() -> None:
    store = MemoryBudgetStore()
    ledger = ledger_on(store)

    for _ in range(3):
        await ledger.settle(await ledger.reserve(100, None), 90, None)

    # One hold of 4 calls' worth in the store; the spending is still the run's own.
    assert store.accounts[DAY].reserved_tokens == 400
    assert store.accounts[DAY].spent_tokens == 0
    assert len(store._holds) == 1
    assert ledger.snapshot()["limits"][0]["usedTokens"] == 270


async def test_a_call_that_does_not_fit_renews_the_lease_and_pushes_the_spending() -> None:
    store = MemoryBudgetStore()
    ledger = ledger_on(store)
    for _ in range(4):
        await ledger.settle(await ledger.reserve(100, None), 90, None)

    await ledger.reserve(100, None)

    assert store.accounts[DAY].spent_tokens == 360
    assert store.accounts[DAY].reserved_tokens == 400
    assert len(store._holds) == 1


async def test_closing_settles_every_lease_and_gives_back_its_room() -> None:
    store = MemoryBudgetStore()
    ledger = ledger_on(store, run_tokens=5_000)
    for _ in range(5):
        await ledger.settle(await ledger.reserve(100, None), 80, None)

    await ledger.aclose()
    await ledger.aclose()

    for key in (DAY, "run:r1"):
        assert (store.accounts[key].spent_tokens, store.accounts[key].reserved_tokens) == (400, 0)
    assert store._holds == {}


async def test_a_call_settled_after_closing_still_counts() -> None:
    store = MemoryBudgetStore()
    ledger = ledger_on(store)
    late = await ledger.reserve(100, None)
    await ledger.aclose()

    await ledger.settle(late, 70, None)
    await ledger.settle(await ledger.reserve(50, None), 50, None)

    assert (store.accounts[DAY].spent_tokens, store.accounts[DAY].reserved_tokens) == (120, 0)


async def test_spending_reaches_the_store_every_few_seconds_of_a_long_run() -> None:
    store = MemoryBudgetStore()
    clock = Clock()
    ledger = ledger_on(store, clock=clock)
    await ledger.settle(await ledger.reserve(100, None), 90, None)
    assert store.accounts[DAY].spent_tokens == 0

    clock.now = 5.0
    await ledger.settle(await ledger.reserve(100, None), 60, None)

    # Pushed; the lease keeps only the room it had left (400 granted, 150 spent).
    assert store.accounts[DAY].spent_tokens == 150
    assert store.accounts[DAY].reserved_tokens == 250


async def test_a_private_account_is_leased_whole_and_a_shared_one_no_further() -> None:
    store = MemoryBudgetStore()
    ledger = ledger_on(store, run_tokens=300)

    await ledger.reserve(100, None)

    # The run may spend 300 in all: its own account leased whole, the day's only
    # as far (not the 4 calls' worth).
    assert store.accounts["run:r1"].reserved_tokens == 300
    assert store.accounts[DAY].reserved_tokens == 300


async def test_near_the_cap_a_call_gets_its_own_amount_when_a_block_does_not_fit() -> None:
    store = MemoryBudgetStore()
    first = ledger_on(store, day_tokens=1000, holder="a")
    second = ledger_on(store, day_tokens=1000, holder="b")
    await first.reserve(100, None)  # leases 400

    await second.reserve(500, None)  # 4 calls' worth would not fit: 500 does

    assert store.accounts[DAY].reserved_tokens == 900


async def test_a_refusal_counts_another_runs_unused_lease_as_reserved() -> None:
    store = MemoryBudgetStore()
    first = ledger_on(store, day_tokens=1000, holder="a")
    second = ledger_on(store, day_tokens=1000, holder="b")
    await first.settle(await first.reserve(100, None), 100, None)  # lease 400, 100 spent
    held = await second.reserve(300, None)

    with pytest.raises(AladdinError) as caught:
        await second.reserve(400, None)

    # The store knows only the first run's lease (400): its spending is its own
    # until pushed. The second run's view: its 300 in flight and the other lease.
    assert caught.value.details["used"] == 0
    assert caught.value.details["reserved"] == 700
    assert caught.value.details["requested"] == 400
    await second.release(held)
    await first.aclose()
    await second.aclose()
    assert (store.accounts[DAY].spent_tokens, store.accounts[DAY].reserved_tokens) == (100, 0)


async def one_call(ledger: BudgetLedger, tokens: int, granted: list[int]) -> None:
    """Reserve, let other tasks run, then spend it all; a refused call spends nothing."""
    try:
        reservation = await ledger.reserve(tokens, None)
    except AladdinError:
        return
    await asyncio.sleep(0)
    await ledger.settle(reservation, tokens, None)
    granted.append(tokens)


async def test_runs_drawing_at_once_on_one_account_never_jointly_overshoot_it() -> None:
    store = MemoryBudgetStore()
    rng = random.Random(7)
    granted: list[int] = []

    async def run(holder: str) -> None:
        ledger = ledger_on(store, day_tokens=5_000, holder=holder)
        try:
            for _ in range(20):
                await one_call(ledger, rng.randint(50, 400), granted)
        finally:
            await ledger.aclose()

    await asyncio.gather(*(run(f"r{n}") for n in range(6)))

    account = store.accounts[DAY]
    assert account.spent_tokens == sum(granted) <= 5_000
    assert account.reserved_tokens == 0


class GatedStore(MemoryBudgetStore):
    """A store whose renewals wait until the test lets them through."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def renew(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        await self.gate.wait()
        return await super().renew(*args, **kwargs)


async def test_a_renewal_whose_caller_is_cancelled_still_ends_in_the_lease() -> None:
    store = GatedStore()
    ledger = ledger_on(store)
    cancelled = asyncio.create_task(ledger.reserve(100, None))
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    later = asyncio.create_task(ledger.reserve(100, None))
    await asyncio.sleep(0)

    store.gate.set()
    await ledger.settle(await later, 100, None)
    await ledger.aclose()

    # The cancelled call holds nothing; the lease it took was used, then given back.
    assert (store.accounts[DAY].spent_tokens, store.accounts[DAY].reserved_tokens) == (100, 0)
    assert store._holds == {}


async def test_many_calls_of_one_run_at_once_never_overshoot_its_own_budget() -> None:
    """Calls that fit the lease are served without its lock; renewals still take it."""
    store = MemoryBudgetStore()
    ledger = ledger_on(store, day_tokens=50_000, run_tokens=2_000)
    rng = random.Random(11)
    granted: list[int] = []

    await asyncio.gather(*(one_call(ledger, rng.randint(50, 300), granted) for _ in range(40)))
    await ledger.aclose()

    assert granted and sum(granted) <= 2_000
    assert store.accounts["run:r1"].spent_tokens == sum(granted)
    assert store.accounts[DAY].spent_tokens == sum(granted)
    assert store.accounts[DAY].reserved_tokens == store.accounts["run:r1"].reserved_tokens == 0


async def test_a_call_waits_for_a_renewal_under_way_rather_than_using_the_old_lease() -> None:
    store = GatedStore()
    ledger = ledger_on(store)
    first = asyncio.create_task(ledger.reserve(100, None))  # its renewal waits at the gate
    await asyncio.sleep(0)
    second = asyncio.create_task(ledger.reserve(100, None))
    await asyncio.sleep(0)

    assert not second.done()  # no lease yet: it waits for the renewal, not around it
    store.gate.set()
    for reservation in (await first, await second):
        await ledger.settle(reservation, 100, None)
    await ledger.aclose()

    assert (store.accounts[DAY].spent_tokens, store.accounts[DAY].reserved_tokens) == (200, 0)
