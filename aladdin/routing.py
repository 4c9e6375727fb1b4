"""WebSocket routes. The live-monitoring consumers register here."""

from __future__ import annotations

from typing import Any

websocket_urlpatterns: list[Any] = []
