"""`orchestrate` in its own process, as in a second terminal beside `make run`: cleanup
at a server's start leaves it alone while it lives, and fails it at once when killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.db import connection

from brain.models import Project
from executions.maintenance import cleanup
from executions.models import Execution
from executions.services import cancel_orchestration
from tests.executions.conftest import PLAN, by_agent, plan, selection
from tests.support.fake_llm import FakeLLMServer, hang, json_reply

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as a URL another process can open."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_cli(llm: FakeLLMServer, project: Project) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DEBUG": "true",
        "SECRET_KEY": "test",
        "ALADDIN_TESTING": "true",
        "DATABASE_URL": database_url(),
        "ALADDIN_DEFAULT_MODEL": "openai/gpt-4o-mini",
        "ALADDIN_LLM_API_BASE": llm.base_url,
        "ALADDIN_LLM_API_KEY": "test-key",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "orchestrate", "--project", project.slug, "--json", "Go"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def running_root() -> Execution:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        root = Execution.objects.filter(kind="orchestration", status="running").first()
        if root is not None:
            return root
        time.sleep(0.2)
    raise AssertionError("the CLI run never started")


def test_cleanup_at_a_server_start_leaves_a_live_cli_run_to_finish(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    llm.script(by_agent("story-head-001"), json_reply(selection("story-architect-001")))
    llm.script(by_agent("story-architect-001"), hang())
    cli = start_cli(llm, project)
    try:
        llm.wait_for_requests(3, timeout=120)
        root = running_root()

        assert cleanup(assume_stopped=True).interrupted == 0

        root.refresh_from_db()
        assert root.status == "running"
        # The run is still its process's to end: cancelled there, it records that itself.
        assert async_to_sync(cancel_orchestration)(str(root.execution_id))
        cli.wait(timeout=120)
    finally:
        if cli.poll() is None:
            cli.send_signal(signal.SIGKILL)
            cli.wait(timeout=30)

    root.refresh_from_db()
    assert root.status == "cancelled"
    assert "failed" not in [entry["status"] for entry in root.status_history]


def test_a_killed_cli_run_is_failed_at_once_with_its_runs(
    llm: FakeLLMServer, project: Project, settings: object
) -> None:
    settings.ALADDIN_RESUME_INTERRUPTED = False  # type: ignore[attr-defined]  # fail, not resume
    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    llm.script(by_agent("story-head-001"), json_reply(selection("story-architect-001")))
    llm.script(by_agent("story-architect-001"), hang())
    cli = start_cli(llm, project)
    llm.wait_for_requests(3, timeout=120)
    root = running_root()

    cli.send_signal(signal.SIGKILL)
    cli.wait(timeout=30)
    report = cleanup()

    root.refresh_from_db()
    assert report.interrupted == 1
    assert root.status == "failed" and "stopped" in root.error["message"]
    assert not Execution.objects.filter(root=root, status__in=["pending", "running"]).exists()
