"""A Celery worker asked to stop (SIGTERM, Celery's warm shutdown) finishes the run it
has in flight before it exits: the run completes, nothing is left for recovery."""

from __future__ import annotations

import signal
from collections.abc import Callable

import pytest

from brain.models import Project
from executions.maintenance import UNFINISHED
from executions.models import Execution
from executions.services import create_orchestration, enqueue
from tests.executions.conftest import PLAN, by_agent
from tests.executions.test_resume_processes import (
    CREATOR,
    Worker,
    broker,
    finished,
    held_project,
    plan,
    selection,
    wait_for,
    workers,
)
from tests.support.fake_llm import FakeLLMServer, json_reply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]
__all__ = ["broker", "workers"]  # fixtures used here


def test_a_worker_told_to_stop_finishes_its_run_in_flight_then_exits(
    llm: FakeLLMServer, project: Project, workers: Callable[..., Worker]
) -> None:
    project = held_project(project)
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection(CREATOR)))
    llm.script(by_agent(CREATOR), json_reply({"name": "Vex"}, delay=3.0))  # in flight
    worker = workers("w1")
    root = create_orchestration(project, "Create a villain for episode 2")
    execution_id = str(root.execution_id)
    enqueue(execution_id)
    wait_for(lambda: llm.requests_matching(by_agent(CREATOR)), "the creator's call")

    worker.process.send_signal(signal.SIGTERM)
    exit_code = worker.process.wait(timeout=45)

    assert exit_code == 0
    ended = finished(execution_id)
    assert ended is not None, Execution.objects.get(execution_id=execution_id).status
    assert ended.status == "awaiting_approval", ended.error
    left = Execution.objects.filter(root=ended, status__in=UNFINISHED)
    assert list(left.values_list("kind", flat=True)) == []  # nothing for recovery to do
