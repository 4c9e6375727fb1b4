"""WebSocket routes: the JSON event stream, the HTMX monitor, and a clean refusal
for every other path (instead of a 500 from the router)."""

from __future__ import annotations

from typing import Any

from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path, re_path

from dashboard.consumers import MonitorConsumer
from executions.consumers import EventStreamConsumer, UnknownPathConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/events/", EventStreamConsumer.as_asgi()),
    path("ws/executions/<uuid:execution_id>/monitor/", MonitorConsumer.as_asgi()),
    re_path(r"^", UnknownPathConsumer.as_asgi()),
]


class BrowserOriginValidator(OriginValidator):  # type: ignore[misc]
    """Allowed hosts for browsers; clients without an Origin header (API clients with
    a token) pass, since cross-site WebSocket hijacking needs a browser, which always
    sends one."""

    def __init__(self, application: Any) -> None:
        super().__init__(application, settings.ALLOWED_HOSTS)

    def valid_origin(self, parsed_origin: Any) -> bool:
        if parsed_origin is None:
            return True
        return bool(super().valid_origin(parsed_origin))
