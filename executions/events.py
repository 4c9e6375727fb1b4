"""The event log: numbered, persisted events, announced to live listeners.

Implements engine.ports.EventSink. The row is written first and is the copy
that counts; the channel layer only rings a bell (it is at-most-once and drops
messages at capacity), and listeners replay from the database by sequence.
Events emitted together are written together (group commit, see _EventWriter).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import AsyncToSync, SyncToAsync, sync_to_async
from channels.layers import get_channel_layer
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Max

from engine.per_loop import PerLoop
from executions.fixed_sql import insert_rows, unsaved_row
from executions.models import Execution, ExecutionEvent
from executions.run_writes import RunOp, write_runs

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def group_name(execution_id: str) -> str:
    return f"execution.{execution_id}"


ALL_EXECUTIONS_GROUP = "execution.all"

# Apps above this one (webhooks) listen to the event log by registering here.
EventListener = Callable[[str, ExecutionEvent, dict[str, Any]], Awaitable[None]]
_listeners: list[EventListener] = []


def add_event_listener(listener: EventListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def remove_event_listener(listener: EventListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


async def notify_listeners(root_id: str, event: ExecutionEvent) -> None:
    if not _listeners:
        return
    message = event_message(root_id, event)
    for listener in _listeners:
        try:
            await listener(root_id, event, message)
        except Exception:  # a listener's failure never stops the run
            logger.exception("event listener %r failed on %s", listener, event.type)


class DjangoEventSink:
    """Numbers and writes events by group commit: the emits of one event loop that
    arrive together (25 specialists finishing at once) are written by one flusher in
    one thread hop and one transaction, then announced in order per orchestration.
    emit returns once its row is committed and its bell has rung."""

    def __init__(self, pks: dict[str, int] | None = None) -> None:
        # Both are read and written only inside the flusher's thread hop. `pks` may be
        # a recorder's own (DjangoRunRecorder.rows.pks): no SELECT for its runs' ids.
        self.sequences: dict[str, int] = {}
        self.pks: dict[str, int] = {} if pks is None else pks

    async def emit(
        self, root_id: str, type: str, payload: dict[str, Any], *, source_id: str | None = None
    ) -> int:
        event = await self.queue(root_id, type, payload, source_id=source_id)
        return event.sequence

    def queue(
        self, root_id: str, type: str, payload: dict[str, Any], *, source_id: str | None = None
    ) -> asyncio.Future[ExecutionEvent]:
        """Hand the event to this loop's writer, after every event queued before it; the
        future is its row once committed and its bell has rung."""
        loop = asyncio.get_running_loop()
        pending = _Pending(self, root_id, type, payload, source_id, loop.create_future())
        _writers.get().submit(pending)
        return pending.done

    def number(self, root_id: str) -> int:
        """The root's next sequence, from memory after the first look at its log."""
        if root_id not in self.sequences:
            last = ExecutionEvent.objects.filter(execution_id=self.pks[root_id]).aggregate(
                last=Max("sequence")
            )["last"]
            self.sequences[root_id] = (last or 0) + 1
        sequence = self.sequences[root_id]
        self.sequences[root_id] = sequence + 1
        return sequence


class WriteBehindSink:
    """An orchestration's sink (engine.ports.EventSink): emit returns once the event is
    queued, and the run goes on while the writer commits it and rings its bell, in
    order, as DjangoEventSink does. Waiting for each commit cost a one-call run about
    25 ms of its answer (events are emitted between waves of LLM calls). `settled()`
    waits for all of them: the run's end calls it before it answers, so an answered
    run's events are all in the log. An event that cannot be written is logged; the run
    does not stop for it."""

    def __init__(self, sink: DjangoEventSink) -> None:
        self.sink = sink
        self._behind: set[asyncio.Future[ExecutionEvent]] = set()

    async def emit(
        self, root_id: str, type: str, payload: dict[str, Any], *, source_id: str | None = None
    ) -> None:
        written = self.sink.queue(root_id, type, payload, source_id=source_id)
        self._behind.add(written)
        written.add_done_callback(functools.partial(self._written, root_id, type))

    async def settled(self) -> None:
        """Until every event emitted so far is committed and rung (or has failed)."""
        while self._behind:
            await asyncio.wait(list(self._behind))

    def _written(self, root_id: str, type: str, written: asyncio.Future[ExecutionEvent]) -> None:
        self._behind.discard(written)
        if not written.cancelled() and written.exception() is not None:
            logger.error(
                "The %s event of run %s was not written.",
                type,
                root_id,
                exc_info=written.exception(),
            )


@dataclass
class _Pending:
    sink: DjangoEventSink
    root_id: str
    type: str
    payload: dict[str, Any]
    source_id: str | None
    done: asyncio.Future[ExecutionEvent]
    event: ExecutionEvent | None = None
    error: BaseException | None = None


class _EventWriter:
    """The group-commit flusher of one event loop, for events and for the recorders'
    run rows (executions.run_writes). No timer: a flush starts as soon as the flusher
    runs, and what arrives meanwhile forms the next batch. Each batch is one thread hop:
    the run rows first (one transaction), then the events, so an event never names a
    run whose row is not committed; bells ring after both."""

    def __init__(self) -> None:
        # No reference to the loop: it is this writer's weak key in _writers.
        self._queue: list[_Pending] = []
        self._runs: list[RunOp] = []
        self._barriers: list[asyncio.Future[None]] = []
        self._flusher: asyncio.Task[None] | None = None
        # The last announcing task per root, so bells ring in sequence order.
        self._ringing: dict[str, asyncio.Task[None]] = {}

    def submit(self, pending: _Pending) -> None:
        self._queue.append(pending)
        self._start()

    def submit_run(self, op: RunOp) -> None:
        self._runs.append(op)
        self._start()

    async def flush(self) -> None:
        """Until everything queued so far is committed (not rung)."""
        if not (self._queue or self._runs) and (self._flusher is None or self._flusher.done()):
            return
        barrier = asyncio.get_running_loop().create_future()
        self._barriers.append(barrier)
        self._start()
        await barrier

    def _start(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self._queue or self._runs or self._barriers:
            batch, self._queue = self._queue, []
            runs, self._runs = self._runs, []
            barriers, self._barriers = self._barriers, []
            try:
                if runs or batch:  # a barrier alone: what it waited for is written
                    await _hop(_write_all)(runs, batch)
            except BaseException as exc:  # the database is gone: every waiter hears it
                for pending in batch:
                    _settle(pending.done, error=exc)
                for barrier in barriers:
                    if not barrier.done():
                        barrier.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            _after_runs(runs)
            for barrier in barriers:
                if not barrier.done():
                    barrier.set_result(None)
            for pending in batch:
                if pending.error is not None:
                    _settle(pending.done, error=pending.error)
            self._ring([p for p in batch if p.event is not None])

    def _ring(self, written: list[_Pending]) -> None:
        by_root: dict[str, list[_Pending]] = {}
        for pending in written:
            by_root.setdefault(pending.root_id, []).append(pending)
        loop = asyncio.get_running_loop()
        for root_id, items in by_root.items():
            task = loop.create_task(_announce_all(items, self._ringing.get(root_id)))
            self._ringing[root_id] = task
            task.add_done_callback(functools.partial(self._forget, root_id))

    def _forget(self, root_id: str, task: asyncio.Future[None]) -> None:
        if self._ringing.get(root_id) is task:
            del self._ringing[root_id]


_writers: PerLoop[_EventWriter] = PerLoop(lambda: _EventWriter())


async def flush_writes() -> None:
    """Commit everything this event loop's recorders and sinks have queued."""
    await _writers.get().flush()


def queue_run_write(op: RunOp) -> None:
    _writers.get().submit_run(op)


# On PostgreSQL the writer has a thread (and so a connection) of its own: its commits
# overlap the ORM work of the runs (budget renewals, the brain's rows) instead of
# queueing behind it on asgiref's one thread. 10 orchestrations at once at L = 0 (W3)
# persisted about a tenth more agent runs a second in one process when the second core
# was free (embeddings from an endpoint; docs/benchmarks.md). Not on SQLite, which has
# one writer at a time anyway: a second connection would wait on its lock.
_WRITER_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-writer")


def _hop(write: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    if connection.vendor == "postgresql" and not _under_a_sync_caller():
        return sync_to_async(write, thread_sensitive=False, executor=_WRITER_THREAD)
    return sync_to_async(write)


def _under_a_sync_caller() -> bool:
    """Whether asgiref would run a thread-sensitive call on a caller's own thread: sync
    code that awaits through async_to_sync (a view, a test, a command), or a request's.
    Its writes must stay there, inside the transaction it may have open."""
    return (
        getattr(AsyncToSync.executors, "current", None) is not None
        or SyncToAsync.thread_sensitive_context.get(None) is not None
        or asyncio.get_running_loop() in AsyncToSync.loop_thread_executors
    )


async def on_writer_connection(call: Callable[[], R]) -> R:
    """`call()` where this loop's writer writes: its thread, with its connection."""
    return await _hop(call)()


def close_writer_connections() -> None:
    """Close the database connections of the writer's own thread (at the end of tests)."""
    _WRITER_THREAD.submit(connections.close_all).result(timeout=30)


def _write_all(runs: list[RunOp], batch: list[_Pending]) -> None:
    write_runs(runs)
    if batch:
        write_batch(batch)


def _after_runs(runs: list[RunOp]) -> None:
    for op in runs:
        if op.after is None:
            continue
        try:
            op.after(op)
        except Exception:  # bookkeeping after a write never stops the writer
            logger.exception("after writing run %s", op.execution_id)


def _settle(
    done: asyncio.Future[ExecutionEvent],
    *,
    event: ExecutionEvent | None = None,
    error: BaseException | None = None,
) -> None:
    if done.done():  # its emit was cancelled; the row stays written
        return
    if error is not None:
        done.set_exception(error)
    elif event is not None:
        done.set_result(event)


async def _announce_all(items: list[_Pending], previous: asyncio.Task[None] | None) -> None:
    """Ring the bells of one root's events in order, after that root's earlier ones."""
    if previous is not None:
        await asyncio.wait([previous])
    try:
        for pending in items:
            assert pending.event is not None
            await announce(pending.root_id, pending.event)
            await notify_listeners(pending.root_id, pending.event)
            _settle(pending.done, event=pending.event)
    except BaseException as exc:  # the loop is closing: no emit waits forever
        for pending in items:
            _settle(pending.done, error=exc)
        raise


def write_batch(batch: list[_Pending]) -> None:
    """One batch in one transaction (a bulk INSERT). If that fails (another process
    numbered an event first, a payload that is not JSON), nothing of it was written:
    it is written one by one, so only a bad event fails, and numbers leave no gaps."""
    _resolve_pks(batch)
    ready = [p for p in batch if p.error is None]
    if not ready:
        return
    try:
        for pending in ready:
            pending.event = _event_row(pending, pending.sink.number(pending.root_id))
        _insert([p.event for p in ready if p.event is not None])
    except Exception:
        _forget_numbers(ready)
        for pending in ready:
            try:
                pending.event = _write_one(pending)
            except Exception as exc:
                pending.event, pending.error = None, exc


def _insert(rows: list[ExecutionEvent]) -> None:
    """All rows or none. A lone row is one plain INSERT (no BEGIN/COMMIT around it);
    inside a caller's transaction a savepoint keeps a collision from spoiling it."""
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    with guard:
        insert_rows(rows)


def _forget_numbers(batch: list[_Pending]) -> None:
    for pending in batch:
        pending.sink.sequences.pop(pending.root_id, None)


def _write_one(pending: _Pending) -> ExecutionEvent:
    for _ in range(5):
        row = _event_row(pending, pending.sink.number(pending.root_id))
        try:
            _insert([row])
            return row
        except IntegrityError:
            # Another process wrote this number first: re-read the log's end.
            pending.sink.sequences.pop(pending.root_id, None)
        except Exception:
            pending.sink.sequences.pop(pending.root_id, None)  # its number stays free
            raise
    raise RuntimeError(f"Could not number an event for {pending.root_id} after 5 tries.")


def _event_row(pending: _Pending, sequence: int) -> ExecutionEvent:
    return unsaved_row(
        ExecutionEvent,
        execution_id=_root_pk(pending),
        sequence=sequence,
        type=pending.type,
        payload=pending.payload,
        source_id=pending.sink.pks[pending.source_id] if pending.source_id else None,
    )


def _root_pk(pending: _Pending) -> int:
    return pending.sink.pks[pending.root_id]


def _resolve_pks(batch: list[_Pending]) -> None:
    """The row ids of every run the batch names, in one SELECT for those not yet known."""
    wanted = {
        run
        for p in batch
        for run in (p.root_id, p.source_id)
        if run is not None and run not in p.sink.pks
    }
    found = _pks_of(wanted) if wanted else {}
    for pending in batch:
        for run in (pending.root_id, pending.source_id):
            if run is None or run in pending.sink.pks:
                continue
            if run in found:
                pending.sink.pks[run] = found[run]
            else:
                pending.error = Execution.DoesNotExist(f"No execution {run}.")


def _pks_of(execution_ids: set[str]) -> dict[str, int]:
    valid: dict[uuid.UUID, str] = {}
    for run in execution_ids:
        try:
            valid[uuid.UUID(str(run))] = run
        except ValueError:
            continue
    rows = Execution.objects.filter(execution_id__in=valid).values_list("execution_id", "pk")
    return {valid[execution_id]: pk for execution_id, pk in rows}


def event_message(root_id: str, event: ExecutionEvent) -> dict[str, Any]:
    return {
        "executionId": root_id,
        "sequence": event.sequence,
        "type": event.type,
        "timestamp": event.created_at.isoformat(),
        "payload": event.payload,
    }


async def announce(root_id: str, event: ExecutionEvent) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "execution.event", "event": event_message(root_id, event)}
    try:
        await layer.group_send(group_name(root_id), message)
        await layer.group_send(ALL_EXECUTIONS_GROUP, message)
    except Exception:  # the stored row is the record; a missed bell is replayed later
        logger.warning("could not announce event %s of %s", event.sequence, root_id, exc_info=True)
