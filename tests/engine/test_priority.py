"""Runs waiting for a slot go by priority, then by arrival."""

from __future__ import annotations

import asyncio

import pytest

from engine.priority import PrioritySlots


async def test_the_most_urgent_waiter_gets_the_next_free_slot() -> None:
    slots = PrioritySlots(1)
    order: list[str] = []
    await slots.acquire("medium")

    waiters = [
        asyncio.create_task(_take(slots, name, priority, order))
        for name, priority in [
            ("low-1", "low"),
            ("urgent", "urgent"),
            ("medium", "medium"),
            ("low-2", "low"),
            ("high", "high"),
        ]
    ]
    await asyncio.sleep(0)
    assert slots.waiting == 5
    slots.release()
    await asyncio.gather(*waiters)
    assert order == ["urgent", "high", "medium", "low-1", "low-2"]
    assert slots.active == 0


async def _take(slots: PrioritySlots, name: str, priority: str, order: list[str]) -> None:
    async with slots.slot(priority):
        order.append(name)
        await asyncio.sleep(0)


async def test_no_more_than_the_limit_hold_a_slot_at_once() -> None:
    slots = PrioritySlots(2)
    peak = 0

    async def work() -> None:
        nonlocal peak
        async with slots.slot():
            peak = max(peak, slots.active)
            await asyncio.sleep(0)

    await asyncio.gather(*(work() for _ in range(7)))
    assert peak == 2
    assert slots.active == 0


async def test_a_cancelled_waiter_does_not_keep_a_slot() -> None:
    slots = PrioritySlots(1)
    await slots.acquire()
    waiter = asyncio.create_task(slots.acquire("urgent"))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    slots.release()
    assert slots.active == 0
    await asyncio.wait_for(slots.acquire(), timeout=1)
