"""The event log's group commit: events emitted together are written together, each
emit still gets its own number, and the row exists before its bell rings."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection

from executions.events import DjangoEventSink, group_name, on_writer_connection
from executions.models import Execution, ExecutionEvent
from tests import factories
from tests.executions.test_consumers import orchestration

pytestmark = pytest.mark.django_db(transaction=True)


class Statements:
    """Every SQL statement the thread-sensitive (ORM) thread runs (`sql`: an
    executemany's once per parameter set), and what went to the database in one call
    (`sent`: an executemany's once)."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        self.sent: list[str] = []

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.sql.extend([sql] * (len(params) if many else 1))
        self.sent.append(sql)
        return execute(sql, params, many, context)

    def inserts_of_events(self) -> int:
        """Calls that inserted events: one round trip each, whatever the number of rows
        (PostgreSQL pipelines a statement per row, SQLite takes many rows in one)."""
        return sum(
            1
            for s in self.sent
            if s.lstrip().upper().startswith("INSERT") and "executionevent" in s
        )


@contextlib.asynccontextmanager
async def counting() -> AsyncIterator[Statements]:
    """Statements of the ORM thread and of the event loop's writer (its own thread on
    PostgreSQL, the same one on SQLite)."""
    statements = Statements()

    def watch() -> None:
        if statements not in connection.execute_wrappers:
            connection.execute_wrappers.append(statements)

    def unwatch() -> None:
        if statements in connection.execute_wrappers:
            connection.execute_wrappers.remove(statements)

    # `connection` is per thread: reach each thread's own inside its hop.
    await sync_to_async(watch)()
    await on_writer_connection(watch)
    try:
        yield statements
    finally:
        await sync_to_async(unwatch)()
        await on_writer_connection(unwatch)


@pytest.fixture
async def runs() -> dict[str, Any]:
    def make() -> dict[str, Any]:
        project = factories.project()
        run, other = orchestration(project), orchestration(project)
        root = Execution.objects.get(execution_id=run)
        sources = [
            str(
                Execution.objects.create(
                    kind=Execution.Kind.SPECIALIST, project=project, root=root, parent=root
                ).execution_id
            )
            for _ in range(25)
        ]
        return {"run": run, "other": other, "sources": sources}

    return await sync_to_async(make)()


async def stored(run: str) -> list[ExecutionEvent]:
    rows = ExecutionEvent.objects.filter(execution__execution_id=run).select_related("source")
    return [e async for e in rows.order_by("sequence")]


async def test_25_emits_at_once_are_one_insert_call_and_each_gets_its_own_sequence(
    runs: dict[str, Any],
) -> None:
    sink, run = DjangoEventSink(), runs["run"]
    async with counting() as statements:
        sequences = await asyncio.gather(
            *[
                sink.emit(run, "specialist-complete", {"n": n}, source_id=source)
                for n, source in enumerate(runs["sources"])
            ]
        )

    assert statements.inserts_of_events() == 1
    assert sorted(sequences) == list(range(1, 26))
    rows = {e.sequence: e for e in await stored(run)}
    for n, (sequence, source) in enumerate(zip(sequences, runs["sources"], strict=True)):
        assert rows[sequence].payload == {"n": n}
        row_source = rows[sequence].source
        assert row_source is not None and str(row_source.execution_id) == source


async def test_sequences_stay_gapless_and_in_emit_order_per_run_across_batches(
    runs: dict[str, Any],
) -> None:
    sink = DjangoEventSink()

    async def producer(run: str, name: str) -> list[int]:
        return [
            await sink.emit(run, "specialist-executing", {"p": name, "i": i}) for i in range(12)
        ]

    results = await asyncio.gather(
        producer(runs["run"], "a"), producer(runs["run"], "b"), producer(runs["other"], "c")
    )

    for run, count in ((runs["run"], 24), (runs["other"], 12)):
        assert [e.sequence for e in await stored(run)] == list(range(1, count + 1))
    for numbers in results:  # each producer's events are numbered in the order it emitted
        assert numbers == sorted(numbers)
    by_sequence = {e.sequence: e.payload for e in await stored(runs["run"])}
    assert [by_sequence[s]["i"] for s in results[0]] == list(range(12))


async def test_a_batch_that_collides_with_another_writer_is_written_one_by_one(
    runs: dict[str, Any],
) -> None:
    sink, run = DjangoEventSink(), runs["run"]
    assert await sink.emit(run, "orchestration-start", {}) == 1
    root = await Execution.objects.aget(execution_id=run)
    # Another process takes number 2, which this sink would hand out next.
    await ExecutionEvent.objects.acreate(execution=root, sequence=2, type="error", payload={})

    sequences = await asyncio.gather(
        *[sink.emit(run, "specialist-executing", {"n": n}) for n in range(5)]
    )

    assert sorted(sequences) == [3, 4, 5, 6, 7]
    rows = await stored(run)
    assert [e.sequence for e in rows] == list(range(1, 8))
    by_sequence = {e.sequence: e.payload for e in rows}
    assert [by_sequence[s] for s in sequences] == [{"n": n} for n in range(5)]


async def test_an_event_that_cannot_be_stored_fails_alone_and_leaves_no_gap(
    runs: dict[str, Any],
) -> None:
    sink, run = DjangoEventSink(), runs["run"]
    results = await asyncio.gather(
        sink.emit(run, "specialist-executing", {"n": 0}),
        sink.emit(run, "specialist-executing", {"bad": object()}),
        sink.emit(run, "specialist-executing", {"n": 2}),
        return_exceptions=True,
    )

    assert isinstance(results[1], TypeError)
    assert sorted(r for r in results if isinstance(r, int)) == [1, 2]
    assert [e.payload for e in await stored(run)] == [{"n": 0}, {"n": 2}]
    assert await sink.emit(run, "specialist-executing", {"n": 3}) == 3


async def test_an_emit_for_an_unknown_run_fails_alone(runs: dict[str, Any]) -> None:
    sink = DjangoEventSink()
    good, bad = await asyncio.gather(
        sink.emit(runs["run"], "specialist-executing", {}),
        sink.emit(str(uuid.uuid4()), "specialist-executing", {}),
        return_exceptions=True,
    )
    assert good == 1
    assert isinstance(bad, Execution.DoesNotExist)
    assert len(await stored(runs["run"])) == 1


async def test_the_bell_rings_only_after_its_row_is_stored(runs: dict[str, Any]) -> None:
    layer = get_channel_layer()
    assert layer is not None
    channel = await layer.new_channel()
    await layer.group_add(group_name(runs["run"]), channel)
    sink = DjangoEventSink()
    emitting = asyncio.gather(
        *[sink.emit(runs["run"], "specialist-executing", {"n": n}) for n in range(10)]
    )

    seen = []
    for _ in range(10):
        message = await asyncio.wait_for(layer.receive(channel), 10)
        sequence = message["event"]["sequence"]
        # Read at once, while the other emits of the batch may still be ringing.
        exists = ExecutionEvent.objects.filter(
            execution__execution_id=runs["run"], sequence=sequence
        )
        assert await exists.aexists(), f"bell for {sequence} rang before its row"
        seen.append(sequence)
    await emitting

    assert seen == list(range(1, 11))  # rung in sequence order
