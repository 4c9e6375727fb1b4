"""Start-up checks: a server with stored secrets needs the key that opens them.

Registered as a Django system check (runserver, migrate, `manage.py check`) and
called by the ASGI application and Celery workers, which run no system checks.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection
from django.db.models import Q

from aladdin.crypto import EncryptedCharField


def stored_secret_fields() -> list[str]:
    """`app.Model.field` for every encrypted field that holds at least one secret."""
    try:
        connection.ensure_connection()
    except DatabaseError:  # no database to read (yet): asked once, not once per model
        return []
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedCharField):
                continue
            empty = Q(**{f"{field.name}__isnull": True}) | Q(**{field.name: ""})
            try:
                if model._default_manager.exclude(empty).exists():
                    found.append(f"{model._meta.label}.{field.name}")
            except DatabaseError:  # tables not migrated yet: nothing stored
                continue
    return found


def encryption_key_errors() -> list[checks.CheckMessage]:
    if settings.ALADDIN_ENCRYPTION_KEY:
        return []
    fields = stored_secret_fields()
    if not fields:
        return []
    return [
        checks.Error(
            "ALADDIN_ENCRYPTION_KEY is not set, but secrets are stored ("
            + ", ".join(fields)
            + ").",
            hint="Set ALADDIN_ENCRYPTION_KEY to the key they were saved with (before it "
            "was required, SECRET_KEY was used), or clear the secrets and enter them again.",
            id="aladdin.E001",
        )
    ]


@checks.register(checks.Tags.security, deploy=False)
def check_encryption_key(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return encryption_key_errors()


def refuse_to_start_without_encryption_key() -> None:
    """For entry points that run no system checks (daphne, Celery workers)."""
    errors = encryption_key_errors()
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")
