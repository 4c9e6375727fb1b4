"""The live event stream at /ws/events/ (spec 5.1), as JSON.

Protocol, client to server:
    {"action": "subscribe", "executionId": "<uuid>", "lastSequence": 12}
    {"action": "subscribe", "executionId": "all"}
    {"action": "unsubscribe", "executionId": "<uuid>" | "all"}
Server to client: {"action": "subscribed", ...} acknowledgements, then each event
as a flat object: the payload of spec 5.2 plus "type", "executionId" and
"sequence". A subscription replays every stored event after `lastSequence`
(default 0: the whole log) and then goes live.

The database holds every event; the channel layer only rings a bell. Each
execution's last sent sequence is kept, so a live event already replayed is
dropped and a gap (a bell the layer lost) is filled from the database. Channels
hands a consumer one message at a time, so live bells that ring during a
replay wait in the channel and are deduplicated afterwards.
"""

from __future__ import annotations

import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from api.auth import user_from_token
from brain.access import has_permission
from executions.events import ALL_EXECUTIONS_GROUP, event_message, group_name
from executions.models import Execution, ExecutionEvent

# Close codes (4000-4999 are the application's own).
CLOSE_BAD_MESSAGE = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
REPLAY_BATCH = 500


def token_from_headers(scope: dict[str, Any]) -> str:
    """The handshake's credentials for non-browser clients: the Authorization header
    ("Bearer <jwt>" or "Api-Key <key>") or an X-API-Key header."""
    headers = {name.lower(): value for name, value in scope.get("headers", [])}
    authorization = headers.get(b"authorization", b"").decode("latin-1").strip()
    return authorization or headers.get(b"x-api-key", b"").decode("latin-1").strip()


async def authenticate(scope: dict[str, Any]) -> Any:
    """The session's user, else the token's user; None if neither is valid."""
    user = scope.get("user")
    if user is not None and user.is_authenticated and user.is_active:
        return user
    token = token_from_headers(scope)
    if not token:
        return None
    user = await database_sync_to_async(user_from_token)(token)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user


def may_read(user: Any, execution: Execution) -> bool:
    if execution.project is None:  # direct agent runs outside any project
        return bool(user.is_superuser or has_permission(user, "system:admin"))
    return has_permission(user, "execution:read", execution.project)


def find_root(execution_id: str) -> Execution | None:
    """The run that numbers its events: an orchestration, or a direct agent run."""
    return (
        Execution.objects.select_related("project")
        .filter(execution_id=execution_id, parent__isnull=True)
        .first()
    )


def readable(user: Any, execution_id: str) -> tuple[bool, bool]:
    """(exists, user may read it)."""
    root = find_root(execution_id)
    if root is None:
        return False, False
    return True, may_read(user, root)


def stored_events(execution_id: str, after: int, upto: int | None) -> list[dict[str, Any]]:
    rows = ExecutionEvent.objects.filter(
        execution__execution_id=execution_id, sequence__gt=after
    ).order_by("sequence")
    if upto is not None:
        rows = rows.filter(sequence__lte=upto)
    return [event_message(execution_id, row) for row in rows[:REPLAY_BATCH]]


def wire(event: dict[str, Any]) -> dict[str, Any]:
    """Spec 5.2's flat shape: the payload's fields beside type, executionId, sequence."""
    return {
        **event.get("payload", {}),
        "type": event["type"],
        "executionId": event["executionId"],
        "sequence": event["sequence"],
        "timestamp": event["timestamp"],
    }


class EventStreamConsumer(AsyncJsonWebsocketConsumer):
    """Authenticate, join groups, replay from the database, forward live events."""

    async def connect(self) -> None:
        self.user = await authenticate(self.scope)
        self.last_sent: dict[str, int] = {}
        self.subscribed: set[str] = set()
        self.everything = False
        self.allowed: dict[str, bool] = {}
        await self.accept()
        if self.user is None:
            await self.close(CLOSE_UNAUTHENTICATED, "Log in, or send an API token.")

    async def disconnect(self, code: int) -> None:
        for execution_id in getattr(self, "subscribed", set()):
            await self.channel_layer.group_discard(group_name(execution_id), self.channel_name)
        if getattr(self, "everything", False):
            await self.channel_layer.group_discard(ALL_EXECUTIONS_GROUP, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """A frame that is not JSON text is refused with 4400 and a reason, not left to
        fail in the consumer (close code 1011, no reason)."""
        try:
            content = await self.decode_json(text_data) if text_data else None
        except ValueError:
            content = None
        if content is None and self.user is not None:
            await self.refuse(CLOSE_BAD_MESSAGE, "Send one JSON object per text frame.")
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.user is None:
            return
        action = content.get("action") if isinstance(content, dict) else None
        target = content.get("executionId") if isinstance(content, dict) else None
        if action not in {"subscribe", "unsubscribe"} or not isinstance(target, str):
            await self.refuse(
                CLOSE_BAD_MESSAGE,
                'Send {"action": "subscribe" or "unsubscribe", "executionId": "<id>" or "all"}.',
            )
            return
        if target == "all":
            await (self.subscribe_all() if action == "subscribe" else self.unsubscribe_all())
            return
        try:
            execution_id = str(uuid.UUID(target))
        except ValueError:
            await self.refuse(CLOSE_BAD_MESSAGE, f"{target!r} is not an execution id.")
            return
        if action == "unsubscribe":
            await self.unsubscribe(execution_id)
            return
        after = content.get("lastSequence", 0)
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            await self.refuse(CLOSE_BAD_MESSAGE, "lastSequence must be a whole number >= 0.")
            return
        await self.subscribe(execution_id, after)

    async def refuse(self, code: int, reason: str) -> None:
        await self.send_json({"action": "error", "code": code, "error": reason})
        await self.close(code, reason[:120])

    async def subscribe(self, execution_id: str, after: int) -> None:
        exists, allowed = await database_sync_to_async(readable)(self.user, execution_id)
        if not exists:
            await self.refuse(CLOSE_NOT_FOUND, f"There is no execution {execution_id}.")
            return
        if not allowed:
            await self.refuse(CLOSE_FORBIDDEN, "You need 'execution:read' on its project.")
            return
        self.allowed[execution_id] = True
        # Join first, then replay: a bell that rings meanwhile waits and is deduplicated.
        await self.channel_layer.group_add(group_name(execution_id), self.channel_name)
        self.subscribed.add(execution_id)
        self.last_sent[execution_id] = after
        await self.send_json(
            {"action": "subscribed", "executionId": execution_id, "lastSequence": after}
        )
        await self.catch_up(execution_id, None)

    async def unsubscribe(self, execution_id: str) -> None:
        await self.channel_layer.group_discard(group_name(execution_id), self.channel_name)
        self.subscribed.discard(execution_id)
        await self.send_json({"action": "unsubscribed", "executionId": execution_id})

    async def subscribe_all(self) -> None:
        await self.channel_layer.group_add(ALL_EXECUTIONS_GROUP, self.channel_name)
        self.everything = True
        await self.send_json({"action": "subscribed", "executionId": "all"})

    async def unsubscribe_all(self) -> None:
        await self.channel_layer.group_discard(ALL_EXECUTIONS_GROUP, self.channel_name)
        self.everything = False
        await self.send_json({"action": "unsubscribed", "executionId": "all"})

    async def catch_up(self, execution_id: str, upto: int | None) -> None:
        """Send stored events after the last one sent (up to `upto`), in order."""
        while True:
            after = self.last_sent.get(execution_id, 0)
            batch = await database_sync_to_async(stored_events)(execution_id, after, upto)
            for event in batch:
                await self.forward(event)
            if len(batch) < REPLAY_BATCH:
                return

    async def forward(self, event: dict[str, Any]) -> None:
        await self.send_json(wire(event))
        self.last_sent[event["executionId"]] = event["sequence"]

    async def execution_event(self, message: dict[str, Any]) -> None:
        """A bell from the channel layer: send it, skip it, or fill the gap before it."""
        event = message["event"]
        execution_id, sequence = event["executionId"], event["sequence"]
        subscribed = execution_id in self.subscribed
        if not subscribed and not (self.everything and await self.may_see(execution_id)):
            return
        last = self.last_sent.get(execution_id)
        # A run seen only through "all" starts at its first live event.
        if last is None or sequence == last + 1:
            await self.forward(event)
        elif sequence > last + 1:
            await self.catch_up(execution_id, sequence)

    async def may_see(self, execution_id: str) -> bool:
        if execution_id not in self.allowed:
            _, allowed = await database_sync_to_async(readable)(self.user, execution_id)
            self.allowed[execution_id] = allowed
        return self.allowed[execution_id]


class UnknownPathConsumer(AsyncJsonWebsocketConsumer):
    """Any other WebSocket path: close with 4404 instead of failing the handshake."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(CLOSE_NOT_FOUND, "No WebSocket endpoint here; use /ws/events/.")
