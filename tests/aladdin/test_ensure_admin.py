"""ensure_admin: admin/admin only in DEBUG; otherwise a given, validated password."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def ensure_admin(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name in ("ALADDIN_ADMIN_USER", "ALADDIN_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = StringIO()
    call_command("ensure_admin", "--no-input", stdout=out)
    return out.getvalue()


def test_without_debug_and_without_a_password_it_refuses(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="no default admin password"):
        ensure_admin(monkeypatch)
    assert not get_user_model().objects.exists()


def test_a_weak_password_is_refused_by_the_password_validators(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="too common"):
        ensure_admin(monkeypatch, ALADDIN_ADMIN_PASSWORD="password")
    with pytest.raises(CommandError, match="too similar to the username"):
        ensure_admin(
            monkeypatch, ALADDIN_ADMIN_USER="lanternkeeper", ALADDIN_ADMIN_PASSWORD="lanternkeeper1"
        )
    assert not get_user_model().objects.exists()


def test_a_given_strong_password_creates_the_superuser_and_is_not_printed(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    output = ensure_admin(
        monkeypatch, ALADDIN_ADMIN_USER="producer", ALADDIN_ADMIN_PASSWORD="Lantern-Keepers-2026"
    )
    user = get_user_model().objects.get(username="producer")
    assert user.is_superuser and user.check_password("Lantern-Keepers-2026")
    assert "Lantern-Keepers-2026" not in output


def test_with_debug_on_the_local_default_is_admin_admin(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = True
    output = ensure_admin(monkeypatch)
    assert get_user_model().objects.get(username="admin").check_password("admin")
    assert "DEBUG is on" in output


def test_an_existing_superuser_is_left_alone(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    get_user_model().objects.create_superuser("first", "", "Another-Strong-One-77")
    assert "nothing to do" in ensure_admin(monkeypatch)
