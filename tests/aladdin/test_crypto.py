"""HTTP tool signing secrets are encrypted at rest (spec 10.3)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from agents.models import CustomTool
from aladdin.crypto import decrypt, encrypt
from tests import factories


def test_encrypt_round_trips_and_is_not_deterministic() -> None:
    first, second = encrypt("s3cret"), encrypt("s3cret")
    assert first != second and "s3cret" not in first
    assert decrypt(first) == decrypt(second) == "s3cret"


def test_values_from_before_encryption_read_as_they_are() -> None:
    assert decrypt("legacy-plain") == "legacy-plain"


def test_a_changed_key_says_what_to_do(settings: object) -> None:
    sealed = encrypt("s3cret")
    settings.ALADDIN_ENCRYPTION_KEY = "another key"  # type: ignore[attr-defined]
    with pytest.raises(ImproperlyConfigured, match="Restore the old key"):
        decrypt(sealed)


@pytest.mark.django_db
def test_signing_secret_is_stored_encrypted_and_read_plain() -> None:
    tool = factories.tool(
        implementation="http",
        builtin_name="",
        endpoint_url="https://partner.example/hook",
        signing_secret="s3cret",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT signing_secret FROM agents_customtool WHERE id = %s", [tool.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc1:") and "s3cret" not in stored
    assert CustomTool.objects.get(pk=tool.pk).signing_secret == "s3cret"


def test_without_a_key_no_secret_is_stored_and_the_error_says_why(settings: object) -> None:
    settings.ALADDIN_ENCRYPTION_KEY = ""  # type: ignore[attr-defined]
    with pytest.raises(ImproperlyConfigured, match="ALADDIN_ENCRYPTION_KEY is not set"):
        encrypt("s3cret")
