"""The event log: numbered, persisted events, announced to live listeners.

Implements engine.ports.EventSink. The row is written first and is the copy
that counts; the channel layer only rings a bell (it is at-most-once and drops
messages at capacity), and listeners replay from the database by sequence.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import get_channel_layer
from django.db import IntegrityError
from django.db.models import Max

from executions.models import Execution, ExecutionEvent

logger = logging.getLogger(__name__)


def group_name(execution_id: str) -> str:
    return f"execution.{execution_id}"


ALL_EXECUTIONS_GROUP = "execution.all"

# Apps above this one (webhooks) listen to the event log by registering here.
EventListener = Callable[[str, ExecutionEvent, dict[str, Any]], Awaitable[None]]
_listeners: list[EventListener] = []


def add_event_listener(listener: EventListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


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
    def __init__(self) -> None:
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._next: dict[str, int] = {}
        self._pks: dict[str, int] = {}

    async def emit(
        self, root_id: str, type: str, payload: dict[str, Any], *, source_id: str | None = None
    ) -> int:
        async with self._locks[root_id]:
            event = await self._write(root_id, type, payload, source_id)
        await announce(root_id, event)
        await notify_listeners(root_id, event)
        return event.sequence

    async def _write(
        self, root_id: str, type: str, payload: dict[str, Any], source_id: str | None
    ) -> ExecutionEvent:
        execution_pk = await self._pk(root_id)
        source_pk = await self._pk(source_id) if source_id else None
        for _ in range(5):
            sequence = await self._sequence(root_id, execution_pk)
            try:
                return await ExecutionEvent.objects.acreate(
                    execution_id=execution_pk,
                    sequence=sequence,
                    type=type,
                    payload=payload,
                    source_id=source_pk,
                )
            except IntegrityError:
                # Another process wrote this number first: re-read the log's end.
                self._next.pop(root_id, None)
        raise RuntimeError(f"Could not number an event for {root_id} after 5 tries.")

    async def _sequence(self, root_id: str, execution_pk: int) -> int:
        if root_id not in self._next:
            last = await ExecutionEvent.objects.filter(execution_id=execution_pk).aaggregate(
                last=Max("sequence")
            )
            self._next[root_id] = (last["last"] or 0) + 1
        sequence = self._next[root_id]
        self._next[root_id] = sequence + 1
        return sequence

    async def _pk(self, execution_id: str) -> int:
        if execution_id not in self._pks:
            row = await Execution.objects.only("pk").aget(execution_id=execution_id)
            self._pks[execution_id] = row.pk
        return self._pks[execution_id]


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
