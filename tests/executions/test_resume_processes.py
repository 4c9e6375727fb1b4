"""Crash recovery with real processes: a Celery worker killed with SIGKILL in the middle
of a run, and the embedded default's server killed and restarted through `make run`'s
start-up path. Finished specialist runs are never repeated (counted at the fake LLM
server) and the run costs what an uninterrupted one costs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.request import Request, urlopen

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework_simplejwt.tokens import RefreshToken

from aladdin.celery import app
from brain.models import Project, ProjectMembership
from executions.maintenance import cleanup
from executions.models import Execution
from executions.services import create_orchestration, enqueue
from tests.browser.server import ROOT, Server, database_url_for_tests
from tests.conftest import service_url
from tests.executions.conftest import PLAN, by_agent, plan, selection
from tests.support.fake_llm import FakeLLMServer, hang, json_reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]
CREATOR, PSYCHOLOGY = "character-creator-001", "psychology-specialist-001"
DEADLINE = 90.0


def child_env(llm: FakeLLMServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "CELERY_"))}
    env.update(
        DATABASE_URL=database_url_for_tests(),
        SECRET_KEY=django_settings.SECRET_KEY,
        ALADDIN_ENCRYPTION_KEY=str(django_settings.ALADDIN_ENCRYPTION_KEY),
        DEBUG="false",
        ALADDIN_HTTPS="false",
        ALADDIN_DEFAULT_MODEL="openai/gpt-4o-mini",
        ALADDIN_LLM_API_BASE=llm.base_url,
        ALADDIN_LLM_API_KEY="test-key",
        ALADDIN_RETRY_BASE_DELAY="0.01",
        ALADDIN_RETRY_MAX_DELAY="0.05",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Worker:
    """`celery -A aladdin worker` in its own process (solo pool: the run is in it)."""

    def __init__(self, env: dict[str, str], name: str, pool: tuple[str, ...] = ()) -> None:
        self.log = ROOT / "var" / f"worker-{name}-{os.getpid()}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "aladdin", "worker",
                 *(pool or ("--pool=solo",)),
                 "-n", f"{name}@%h", "--without-heartbeat", "--without-mingle",
                 "--without-gossip", "-l", "WARNING"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def broker(settings: SettingsWrapper) -> Iterator[str]:
    url = service_url("redis")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    yield url
    app.conf.broker_url, app.conf.task_always_eager = previous


@pytest.fixture
def workers(broker: str, llm: FakeLLMServer) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(name: str, *pool: str) -> Worker:
        env = child_env(llm, REDIS_URL=broker, CELERY_BROKER_URL=broker)
        started.append(Worker(env, name, pool))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def wait_for(check: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise TimeoutError(f"timed out waiting for {what}")


def finished(execution_id: str) -> Execution | None:
    root = Execution.objects.get(execution_id=execution_id)
    ended = (*Execution.FINISHED, Execution.Status.AWAITING_APPROVAL)
    return root if root.status in ended else None


def creator_reviewed(execution_id: str) -> bool:
    return Execution.objects.filter(
        root__execution_id=execution_id,
        kind="review",
        status="completed",
        params__specialist=CREATOR,
    ).exists()


def held_project(project: Project) -> Project:
    """Results wait for approval, so the canon (and so every prompt) stays the same
    from one run to the next and their costs can be compared."""
    project.requires_approval = True
    project.save(update_fields=["requires_approval"])
    return project


def script(llm: FakeLLMServer) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection(CREATOR, PSYCHOLOGY)))


def test_runs_on_a_worker_killed_mid_run_resume_without_paying_twice(
    llm: FakeLLMServer, project: Project, workers: Callable[..., Worker]
) -> None:
    project = held_project(project)
    first = workers("w1")
    script(llm)
    calm = create_orchestration(project, "Create a villain for episode 2")
    enqueue(str(calm.execution_id))
    calm = wait_for(lambda: finished(str(calm.execution_id)), "the uncrashed run")
    assert calm.status == "awaiting_approval", calm.error
    llm.reset()

    script(llm)
    llm.script(by_agent(PSYCHOLOGY), hang())  # in flight when the worker dies
    root = create_orchestration(project, "Create a villain for episode 2")
    execution_id = str(root.execution_id)
    enqueue(execution_id)
    wait_for(lambda: creator_reviewed(execution_id), "the creator's reviewed run")
    wait_for(lambda: llm.requests_matching(by_agent(PSYCHOLOGY)), "the hanging call")
    first.kill()
    workers("w2")

    assert cleanup().resumed == 1  # the periodic task's work, done at once here
    resumed = wait_for(lambda: finished(execution_id), "the resumed run")

    assert resumed.status == "awaiting_approval", resumed.error
    assert len(llm.requests_matching(by_agent(CREATOR))) == 1  # not repeated
    assert len(llm.requests_matching(PLAN)) == 1
    assert resumed.cost == calm.cost
    assert resumed.total_tokens == calm.total_tokens


def start_through_the_api(server: Server, project: Project) -> str:
    user = get_user_model().objects.create_user("producer", password="pw-long-enough-1")
    ProjectMembership.objects.create(project=project, user=user, role="user")
    token = str(RefreshToken.for_user(user).access_token)
    body = {"projectId": project.slug, "userPrompt": "Create a villain for episode 2"}
    request = Request(
        f"{server.url}/api/orchestrator/execute",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urlopen(request, timeout=30) as response:
        return str(json.load(response)["executionId"])


def test_the_embedded_server_killed_mid_run_resumes_it_after_a_restart(
    llm: FakeLLMServer, project: Project
) -> None:
    script(llm)
    llm.script(by_agent(PSYCHOLOGY), hang())
    env = child_env(llm)
    server = Server(env)
    server.wait_until_ready()
    execution_id = start_through_the_api(server, project)
    wait_for(lambda: creator_reviewed(execution_id), "the creator's reviewed run")
    wait_for(lambda: llm.requests_matching(by_agent(PSYCHOLOGY)), "the hanging call")
    server.process.kill()
    server.process.wait(timeout=10)

    # `make run`: cleanup_runs --assume-stopped, then the server.
    command = [sys.executable, "manage.py", "cleanup_runs", "--assume-stopped"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    restarted = Server(env)
    try:
        restarted.wait_until_ready()
        root = wait_for(lambda: finished(execution_id), "the resumed run")
    finally:
        restarted.stop()

    assert "resumed: 1" in done.stdout
    assert root.status == "completed", root.error
    assert len(llm.requests_matching(by_agent(CREATOR))) == 1
    assert len(llm.requests_matching(PLAN)) == 1
