"""Brain documents made in the background, a bounded number of runs at a time."""

from __future__ import annotations

import asyncio
import threading

from brain.pipeline import PipelineResult
from brain.preparation import (
    RUNS_AT_ONCE,
    all_brain_documents_ready,
    backlog_within,
    prepare_in_background,
    waiting_their_turn,
)


async def test_at_most_a_few_runs_make_their_documents_at_once() -> None:
    running, most = 0, 0
    release = asyncio.Event()

    async def documents() -> list[PipelineResult]:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await release.wait()
        running -= 1
        return []

    tasks = [prepare_in_background(f"run-{n}", documents()) for n in range(RUNS_AT_ONCE + 3)]
    await asyncio.sleep(0.05)
    assert running == RUNS_AT_ONCE  # the others wait, not started

    release.set()
    await all_brain_documents_ready()

    assert most == RUNS_AT_ONCE
    assert all(task.done() and task.result() == [] for task in tasks)


async def test_a_run_cancelled_while_waiting_its_turn_never_starts() -> None:
    release, started = asyncio.Event(), []

    async def documents(name: str) -> list[PipelineResult]:
        started.append(name)
        await release.wait()
        return []

    busy = [prepare_in_background(f"busy-{n}", documents(f"busy-{n}")) for n in range(RUNS_AT_ONCE)]
    waiting = prepare_in_background("waiting", documents("waiting"))
    await asyncio.sleep(0.05)
    waiting.cancel()
    release.set()
    await asyncio.gather(*busy)

    assert waiting.cancelled()
    assert "waiting" not in started


async def test_the_backlog_counts_only_runs_waiting_their_turn_and_wakes_its_watchers() -> None:
    releases = [asyncio.Event() for _ in range(RUNS_AT_ONCE + 2)]

    async def documents(release: asyncio.Event) -> list[PipelineResult]:
        await release.wait()
        return []

    tasks = [prepare_in_background(f"run-{n}", documents(r)) for n, r in enumerate(releases)]
    await asyncio.sleep(0.05)
    assert waiting_their_turn() == 2
    await asyncio.wait_for(backlog_within(2), 1)  # within the bound: no wait
    within_one = asyncio.ensure_future(backlog_within(1))
    await asyncio.sleep(0.05)
    assert not within_one.done()

    releases[0].set()  # a turn frees up; one waiting run takes it
    await asyncio.wait_for(within_one, 1)
    assert waiting_their_turn() == 1

    for release in releases:
        release.set()
    await asyncio.gather(*tasks)
    assert waiting_their_turn() == 0


async def test_a_waiter_whose_loop_was_closed_under_it_does_not_stop_the_documents() -> None:
    release = asyncio.Event()

    async def documents() -> list[PipelineResult]:
        await release.wait()
        return []

    tasks = [prepare_in_background(f"run-{n}", documents()) for n in range(RUNS_AT_ONCE + 1)]
    await asyncio.sleep(0.05)
    gone = asyncio.new_event_loop()
    abandoned: list[asyncio.Task[None]] = []

    def wait_there_then_close() -> None:
        abandoned.append(gone.create_task(backlog_within(0)))
        gone.run_until_complete(asyncio.sleep(0.01))  # the waiter is watching now
        gone.close()  # without cancelling it, as a loop torn down abruptly

    thread = threading.Thread(target=wait_there_then_close)
    thread.start()
    thread.join()

    release.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert results == [[]] * (RUNS_AT_ONCE + 1)
    assert not abandoned[0].done()  # it never heard back, and nothing broke
