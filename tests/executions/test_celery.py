"""With a broker configured, orchestrations run on a Celery worker (real Redis)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from celery.contrib.testing.worker import start_worker

from aladdin.celery import app
from brain.models import Project
from executions.models import Execution
from executions.services import start_orchestration
from tests.conftest import service_url
from tests.executions.conftest import PLAN, plan
from tests.support.fake_llm import FakeLLMServer, json_reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
def celery_worker(settings: object) -> Iterator[None]:
    broker = service_url("redis")
    settings.CELERY_TASK_ALWAYS_EAGER = False  # type: ignore[attr-defined]
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = broker, False
    # The ping check needs celery's own test task registered.
    app.loader.import_module("celery.contrib.testing.tasks")
    with start_worker(app, pool="solo", perform_ping_check=False):
        yield
    app.conf.broker_url, app.conf.task_always_eager = previous


def test_orchestration_runs_on_a_celery_worker(
    llm: FakeLLMServer, project: Project, celery_worker: None
) -> None:
    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    execution_id = async_to_sync(start_orchestration)(project, "Outline episode 3")

    deadline = time.monotonic() + 60
    root = Execution.objects.get(execution_id=execution_id)
    while root.status not in Execution.FINISHED and time.monotonic() < deadline:
        time.sleep(0.2)
        root.refresh_from_db()

    assert root.status == "completed", root.error
    assert root.output["departmentReports"][0]["department"] == "story"
    assert llm.requests, "the worker called the LLM"


def test_cancelling_from_another_process_stops_the_run_on_the_worker(
    llm: FakeLLMServer, project: Project, celery_worker: None
) -> None:
    from executions.services import cancel_orchestration
    from tests.executions.conftest import by_agent, selection
    from tests.support.fake_llm import hang

    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    llm.script(by_agent("story-head-001"), json_reply(selection("story-architect-001")))
    llm.script(by_agent("story-architect-001"), hang())
    execution_id = async_to_sync(start_orchestration)(project, "Outline episode 3")
    llm.wait_for_requests(3, timeout=30)

    requested = time.monotonic()
    assert async_to_sync(cancel_orchestration)(execution_id)
    root = Execution.objects.get(execution_id=execution_id)
    while root.status not in Execution.FINISHED and time.monotonic() - requested < 10:
        time.sleep(0.05)
        root.refresh_from_db()

    assert root.status == "cancelled"
    assert time.monotonic() - requested < 1.5
