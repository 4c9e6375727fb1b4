from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Login and failed-login audit rows come from the auth signals connected there.
        import aladdin.audit  # noqa: F401
        import api.schema  # noqa: F401  (OpenAPI descriptions of our authentication)
