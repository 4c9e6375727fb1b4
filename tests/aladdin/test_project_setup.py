"""The project's own wiring: migrations, settings, health check, home page."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_migrations_are_up_to_date() -> None:
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"ALADDIN_TESTING", "DEBUG"}}
    clean["ALADDIN_ENV_FILE"] = ""  # a developer's .env must not change what is tested
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "aladdin.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_secret_key_is_required_when_debug_is_off() -> None:
    result = load_settings(DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_bad_boolean_setting_fails_loudly() -> None:
    result = load_settings(DEBUG="maybe")
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_bad_number_setting_fails_loudly() -> None:
    result = load_settings(DEBUG="true", ALADDIN_MAX_PARALLEL_DEPARTMENTS="lots")
    assert "ALADDIN_MAX_PARALLEL_DEPARTMENTS='lots' is not a whole number" in result.stderr


def test_settings_load_with_a_secret_key() -> None:
    result = load_settings(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_health_check_reports_the_database(admin_client: Client) -> None:
    response = admin_client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_home_page_shows_projects_and_demo_banner(seeded: None, admin_client: Client) -> None:
    html = admin_client.get("/").content.decode()
    assert "The Lantern Keepers" in html
    assert "demo model" in html


@pytest.mark.django_db
def test_health_check_reports_llm_mode_and_breakers(admin_client: Client) -> None:
    body = admin_client.get("/healthz").json()
    assert body["llm"]["demo"] is True
    assert body["llm"]["openCircuits"] == []
