"""On a real Celery worker with Redis: a task delivered again for a run that is claimed
or finished does nothing, and queued runs leave the broker by priority."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync
from celery.contrib.testing.worker import start_worker
from kombu import pools

from aladdin.celery import app
from brain.models import Project
from executions.models import Execution
from executions.recorder import end_run
from executions.requests import RequestOptions
from executions.services import create_orchestration, start_orchestration
from executions.tasks import enqueue_orchestration, run_orchestration_task
from tests.conftest import service_url
from tests.executions.conftest import PLAN, plan
from tests.support.fake_llm import FakeLLMServer, json_reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
def broker(settings: object) -> Iterator[None]:
    """Redis as the broker, emptied, with no worker yet."""
    # A database of its own on the test Redis: purging it touches no other test's queue.
    url = service_url("redis").rsplit("/", 1)[0] + "/7"
    settings.CELERY_TASK_ALWAYS_EAGER = False  # type: ignore[attr-defined]
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    forget_connections()
    app.loader.import_module("celery.contrib.testing.tasks")
    with app.connection_for_write() as connection:
        app.amqp.queues["celery"].bind(connection).purge()
        for step in range(1, 10):
            connection.default_channel.client.delete(f"celery:{step}")
    yield
    app.conf.broker_url, app.conf.task_always_eager = previous
    forget_connections()


def forget_connections() -> None:
    """The app keeps publishing on pooled connections to the broker it first used."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def wait_until_finished(*execution_ids: str, seconds: float = 90) -> list[Execution]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rows = list(Execution.objects.filter(execution_id__in=execution_ids))
        if all(row.status in Execution.FINISHED for row in rows):
            return rows
        time.sleep(0.2)
    raise AssertionError(f"runs still unfinished after {seconds}s")


def test_a_task_delivered_again_does_not_run_the_orchestration_twice(
    llm: FakeLLMServer, project: Project, broker: None
) -> None:
    llm.script(PLAN, *[json_reply(plan(("story", 0.9))) for _ in range(3)])
    with start_worker(app, pool="solo", perform_ping_check=False):
        execution_id = async_to_sync(start_orchestration)(project, "Outline episode 3")
        (first,) = wait_until_finished(execution_id)
        assert first.status == "completed", first.error
        calls = len(llm.requests)

        run_orchestration_task.delay(execution_id)  # as after a lost worker
        # The solo worker takes tasks in order: once this one ends, the duplicate has run.
        marker = async_to_sync(start_orchestration)(project, "Outline episode 4")
        wait_until_finished(marker)

    again = Execution.objects.get(execution_id=execution_id)
    assert again.status_history == first.status_history
    assert again.completed_at == first.completed_at
    plans_for_first = [r for r in llm.requests_matching(PLAN) if "episode 3" in str(r)]
    assert len(plans_for_first) == 1
    assert len(llm.requests) > calls  # the marker run did call the model


def test_a_failed_run_delivered_again_stays_failed_without_a_call(
    llm: FakeLLMServer, project: Project, broker: None
) -> None:
    root = create_orchestration(project, "Outline episode 3")
    execution_id = str(root.execution_id)
    async_to_sync(end_run)(execution_id, "failed", {"type": "agent_failure", "message": "x"})

    with start_worker(app, pool="solo", perform_ping_check=False):
        run_orchestration_task.delay(execution_id)
        marker = async_to_sync(start_orchestration)(project, "Outline episode 4")
        wait_until_finished(marker)

    root.refresh_from_db()
    assert root.status == "failed"
    assert not Execution.objects.filter(root=root).exclude(pk=root.pk).exists()
    assert not [r for r in llm.requests if "episode 3" in str(r)]


def test_queued_runs_leave_the_broker_most_urgent_first(
    llm: FakeLLMServer, project: Project, broker: None
) -> None:
    queued = {}
    for priority in ("low", "medium", "urgent", "high"):
        root = create_orchestration(
            project, f"A {priority} request", options=RequestOptions(priority=priority)
        )
        queued[priority] = str(root.execution_id)
        enqueue_orchestration(queued[priority], priority)

    with start_worker(app, pool="solo", perform_ping_check=False):
        wait_until_finished(*queued.values())

    started = [
        str(row.execution_id)
        for row in Execution.objects.filter(execution_id__in=list(queued.values())).order_by(
            "started_at"
        )
    ]
    assert started == [queued[p] for p in ("urgent", "high", "medium", "low")]
