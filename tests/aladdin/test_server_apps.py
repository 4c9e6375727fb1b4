"""`manage.py runserver` serves ASGI through daphne's app; every other process
(workers, commands, tests) goes without it, and without the Twisted it imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.aladdin.test_security_settings import ROOT, run_python


def manage_py(tmp_path: Path, *args: str, debug: str = "true") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "PYTHONPATH"}}
    env.update(
        DJANGO_SETTINGS_MODULE="aladdin.settings",
        ALADDIN_DATA_DIR=str(tmp_path / "data"),
        ALADDIN_ENV_FILE="",
        DEBUG=debug,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_runserver_is_daphnes_asgi_server(tmp_path: Path) -> None:
    done = manage_py(tmp_path, "runserver", "--help")
    assert done.returncode == 0, done.stderr
    assert "--noasgi" in done.stdout  # an option only daphne's runserver has


def test_other_processes_load_neither_daphne_nor_twisted(tmp_path: Path) -> None:
    code = (
        "import sys, django; django.setup(); "
        "print(sorted(m for m in ('daphne', 'twisted') if m in sys.modules))"
    )
    done = run_python(code, tmp_path, DEBUG="true")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert manage_py(tmp_path, "check").returncode == 0


def test_a_setting_missing_for_manage_py_is_one_line_that_says_what_to_do(
    tmp_path: Path,
) -> None:
    done = manage_py(tmp_path, "check", debug="false")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("manage.py: SECRET_KEY is required when DEBUG is off.")
    assert "DEBUG=true" in line  # the way out for local development
