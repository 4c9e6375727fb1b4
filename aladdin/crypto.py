"""Secrets at rest (spec 10.3): AES-256-GCM with a key derived from
ALADDIN_ENCRYPTION_KEY. There is no fallback key: without it, secrets can
neither be stored nor read (`make run` writes one to `.env`).

Stored values look like `enc1:<base64(nonce | ciphertext | tag)>`; a value
without the prefix is treated as not yet encrypted (rows from before), so
turning encryption on needs no data migration.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "enc1:"
NONCE_BYTES = 12


@functools.lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    # scrypt makes a guessed secret expensive to test; it runs once per process.
    return hashlib.scrypt(secret.encode(), salt=b"aladdin-secrets-v1", n=2**14, r=8, p=1, dklen=32)


def configured_key() -> str:
    key: str = settings.ALADDIN_ENCRYPTION_KEY
    if not key:
        raise ImproperlyConfigured(
            "ALADDIN_ENCRYPTION_KEY is not set; secrets can be neither stored nor read. "
            "Set it to a long random string and keep it: changing it makes stored "
            "secrets unreadable."
        )
    return key


def encrypt(plain: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(configured_key())).encrypt(nonce, plain.encode(), None)
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored
    raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
    try:
        plain = AESGCM(_key(configured_key())).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
    except InvalidTag as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted: ALADDIN_ENCRYPTION_KEY "
            "changed since it was saved. Restore the old key or enter the secret again."
        ) from exc
    return plain.decode()


class EncryptedCharField(models.CharField):  # type: ignore[type-arg]
    """A CharField whose value is encrypted in the database and plain in Python."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))


class EncryptedTextField(EncryptedCharField):
    """An encrypted secret in a text column.

    `max_length` limits the plain secret; the column is unbounded because the
    stored form is about 1.4 times longer (nonce, tag, base64), which a
    varchar of the plain length cannot hold on PostgreSQL.
    """

    def get_internal_type(self) -> str:
        return "TextField"

    def db_type(self, connection: Any) -> str | None:
        return models.TextField().db_type(connection)

    def cast_db_type(self, connection: Any) -> str | None:
        return models.TextField().cast_db_type(connection)
