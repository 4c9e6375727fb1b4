from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Webhooks sit above executions: they register as a listener of the event
        # log rather than the event log importing them.
        from executions.events import add_event_listener
        from webhooks.services import on_event

        add_event_listener(on_event)
