"""One object per running event loop: the same within a loop, a new one in another."""

from __future__ import annotations

import asyncio
import gc

import pytest

from engine.per_loop import PerLoop


class Thing:
    pass


def test_a_loop_gets_one_object_and_another_loop_its_own() -> None:
    things: PerLoop[Thing] = PerLoop(Thing)

    async def twice() -> tuple[Thing, Thing]:
        return things.get(), things.get()

    first, again = asyncio.run(twice())
    other, _ = asyncio.run(twice())

    assert first is again
    assert other is not first


def test_outside_a_running_loop_there_is_none() -> None:
    with pytest.raises(RuntimeError):
        PerLoop(Thing).get()


def test_a_closed_loops_object_goes_with_it() -> None:
    things: PerLoop[Thing] = PerLoop(Thing)
    loop = asyncio.new_event_loop()

    async def make() -> Thing:
        return things.get()

    made = loop.run_until_complete(make())
    loop.close()
    del loop, made
    gc.collect()

    assert len(things._by_loop) == 0
