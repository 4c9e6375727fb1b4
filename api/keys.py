"""Creating, checking and revoking API keys. Only a SHA-256 of each key is stored:
keys are 256 random bits, so a fast hash cannot be brute-forced."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from api.models import ApiKey

KEY_PREFIX = "ald_"
# last_used_at is written at most this often per key, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_key(user: Any, name: str) -> tuple[ApiKey, str]:
    """The new key row and the raw key, which is shown once and never stored."""
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}{prefix}.{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(name=name, user=user, prefix=prefix, hashed_key=_digest(raw))
    return key, raw


def user_for_key(raw: str) -> Any | None:
    """The active user behind an unrevoked key, or None."""
    if not raw.startswith(KEY_PREFIX) or "." not in raw:
        return None
    prefix = raw[len(KEY_PREFIX) :].split(".", 1)[0]
    key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.hashed_key, _digest(raw)):
        return None
    if key.revoked_at is not None or not key.user.is_active:
        return None
    now = timezone.now()
    ApiKey.objects.filter(pk=key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    return key.user


def revoke(keys: QuerySet[ApiKey]) -> int:
    # The admin action that calls this is audited by aladdin.audit.AuditMiddleware.
    return keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
