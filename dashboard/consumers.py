"""The monitor page's socket (htmx ws extension): HTML out-of-band swaps.

On connect it sends the whole live part of the page, rendered from the database,
so a reconnect can never leave a gap or a doubled timeline row; after that each
bell renders what changed since the last sequence it rendered.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from dashboard import fragments
from executions.consumers import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHENTICATED,
    may_read,
)
from executions.events import group_name


def _render(
    execution_id: str, user: Any, after: int | None, csrf_token: str = ""
) -> tuple[str, int, bool, bool]:
    """(html, last sequence, exists, allowed)."""
    state = fragments.load_state(execution_id)
    if state is None:
        return "", 0, False, False
    if not may_read(user, state.root):
        return "", 0, True, False
    context = {
        "user": user,
        "can_cancel": _can_cancel(user, state.root),
        "next_step": fragments.next_steps(user, state.root),
        # The next-step forms arrive over the socket, with no request to mint a token:
        # the browser's own CSRF cookie is a valid form token.
        "csrf_token": csrf_token,
    }
    last = state.progress.last_sequence
    if after is None:
        return fragments.full(state, context), last, True, True
    return fragments.update(state, after, context), max(last, after), True, True


def _can_cancel(user: Any, root: Any) -> bool:
    from brain.access import has_permission

    return root.project is not None and has_permission(user, "execution:cancel", root.project)


class MonitorConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.execution_id = str(self.scope["url_route"]["kwargs"]["execution_id"])
        self.user = self.scope.get("user")
        self.last = 0
        self.csrf_token = str(self.scope.get("cookies", {}).get(settings.CSRF_COOKIE_NAME, ""))
        await self.accept()
        if self.user is None or not self.user.is_authenticated:
            await self.close(CLOSE_UNAUTHENTICATED, "Log in to watch runs.")
            return
        await self.channel_layer.group_add(group_name(self.execution_id), self.channel_name)
        html, self.last, exists, allowed = await database_sync_to_async(_render)(
            self.execution_id, self.user, None, self.csrf_token
        )
        if not exists or not allowed:
            await self.close(CLOSE_NOT_FOUND if not exists else CLOSE_FORBIDDEN)
            return
        await self.send(text_data=html)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "execution_id"):
            await self.channel_layer.group_discard(group_name(self.execution_id), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The page sends nothing the server needs (cancel buttons post over HTTP)."""

    async def execution_event(self, message: dict[str, Any]) -> None:
        if message["event"]["sequence"] <= self.last:
            return  # already rendered (replayed on connect, or a doubled bell)
        html, self.last, _, allowed = await database_sync_to_async(_render)(
            self.execution_id, self.user, self.last, self.csrf_token
        )
        if not allowed:
            await self.close(CLOSE_FORBIDDEN)
            return
        if html:
            await self.send(text_data=html)
