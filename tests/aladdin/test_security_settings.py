"""Production settings stay strict: no test relaxations outside pytest, deploy checks
pass, local development reads a generated .env, secrets need their key."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import models
from django.test import RequestFactory

from aladdin.checks import refuse_to_start_without_encryption_key
from aladdin.jsonlimits import BoundedJSONFormField
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Python outside the test runner, with only the given settings variables."""
    keep = {"PATH", "HOME", "LANG", "PYTHONPATH"}
    clean = {k: v for k, v in os.environ.items() if k in keep}
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "aladdin.settings",
            "ALADDIN_DATA_DIR": str(tmp_path / "data"),
            "ALADDIN_ENV_FILE": "",
        }
    )
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "from django.core.management import execute_from_command_line; "
        f"execute_from_command_line(['manage.py', *{list(args)!r}])"
    )
    return run_python(code, tmp_path, **env)


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALADDIN_ENCRYPTION_KEY": secrets.token_urlsafe(32),
    "ALLOWED_HOSTS": "aladdin.example.com",
}


def test_aladdin_testing_outside_the_test_runner_relaxes_nothing(tmp_path: Path) -> None:
    result = run_python(
        "import django; django.setup()",
        tmp_path,
        ALADDIN_TESTING="true",
        DEBUG="false",
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_check_deploy_passes_with_the_documented_production_settings(tmp_path: Path) -> None:
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_check_deploy_flags_plain_http_when_https_is_turned_off(tmp_path: Path) -> None:
    result = manage(
        tmp_path,
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        ALADDIN_HTTPS="false",
        **PRODUCTION,
    )
    assert result.returncode != 0
    assert "security.W012" in result.stderr  # SESSION_COOKIE_SECURE


def test_settings_read_the_env_file_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=true\nSECRET_KEY=from-the-file\nALADDIN_ENCRYPTION_KEY=k1\n")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEBUG, settings.SECRET_KEY, settings.ALADDIN_ENCRYPTION_KEY)"
    )
    from_file = run_python(code, tmp_path, ALADDIN_ENV_FILE=str(env_file))
    assert from_file.stdout.split() == ["True", "from-the-file", "k1"], from_file.stderr
    overridden = run_python(
        code, tmp_path, ALADDIN_ENV_FILE=str(env_file), SECRET_KEY="from-the-environment"
    )
    assert overridden.stdout.split() == ["True", "from-the-environment", "k1"]


def test_make_runs_env_file_makes_manage_commands_work_as_written(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    subprocess.run([sys.executable, "scripts/local_env.py", str(env_file)], cwd=ROOT, check=True)
    result = manage(tmp_path, "check", ALADDIN_ENV_FILE=str(env_file))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_env_file_is_written_once_and_its_keys_are_kept(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    script = [sys.executable, "scripts/local_env.py", str(env_file)]
    first = subprocess.run(script, cwd=ROOT, check=True, capture_output=True, text=True)
    written = env_file.read_text()
    second = subprocess.run(script, cwd=ROOT, check=True, capture_output=True, text=True)
    assert "SECRET_KEY, ALADDIN_ENCRYPTION_KEY" in first.stdout and second.stdout == ""
    assert env_file.read_text() == written
    assert "DEBUG=true" in written
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_the_env_file_is_never_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".env" in ignored


@pytest.mark.django_db
def test_stored_secrets_without_an_encryption_key_stop_the_server(settings: Any) -> None:
    factories.tool(
        implementation="http",
        builtin_name="",
        endpoint_url="https://partner.example/hook",
        signing_secret="s3cret",
    )
    settings.ALADDIN_ENCRYPTION_KEY = ""
    with pytest.raises(SystemCheckError, match=r"aladdin\.E001"):
        call_command("check")
    with pytest.raises(ImproperlyConfigured, match=r"agents\.CustomTool\.signing_secret"):
        refuse_to_start_without_encryption_key()


@pytest.mark.django_db
def test_without_stored_secrets_no_key_is_needed(settings: Any) -> None:
    factories.tool()
    settings.ALADDIN_ENCRYPTION_KEY = ""
    call_command("check")
    refuse_to_start_without_encryption_key()


def test_every_admin_json_field_is_limited_in_size_and_depth() -> None:
    request = RequestFactory().get("/admin/")
    checked = 0
    for model, model_admin in admin.site._registry.items():
        for field in model._meta.get_fields():
            if isinstance(field, models.JSONField):
                formfield = model_admin.formfield_for_dbfield(field, request)
                assert isinstance(formfield, BoundedJSONFormField), f"{model.__name__}.{field.name}"
                checked += 1
    assert checked > 5
