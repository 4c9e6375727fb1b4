"""Writing audit log entries (spec 10.4) from any edge: admin, API, commands."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

from aladdin.models import AuditLog


def record(
    action: str,
    resource: str,
    resource_id: object = "",
    *,
    user: AbstractBaseUser | AnonymousUser | None = None,
    request: HttpRequest | None = None,
    changes: Any = None,
    success: bool = True,
    error_message: str = "",
) -> AuditLog:
    if request is not None and user is None:
        user = request.user
    return AuditLog.objects.create(
        action=action,
        resource=resource,
        resource_id=str(resource_id),
        user_id=user.pk if user is not None and user.is_authenticated else None,
        changes=changes,
        ip_address=_client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:1000] if request else "",
        success=success,
        error_message=error_message,
    )


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR")
    return address or None
