"""The production shape on one machine: two ASGI server processes and two Celery
workers on real Redis and the test database. Twenty orchestrations started at once
through the API all complete, and a WebSocket client on each server receives every
event of its execution, in order, nothing missing or doubled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.tokens import RefreshToken

from brain.models import Project, ProjectMembership
from executions.models import Execution, ExecutionEvent
from tests.browser.server import Server
from tests.executions.conftest import PLAN, SELECT, SYNTHESIS, llm, plan, project, selection
from tests.executions.test_consumers import session_cookie
from tests.executions.test_resume_processes import Worker, broker, child_env, workers
from tests.support.fake_llm import FakeLLMServer, json_reply

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.redis,
    pytest.mark.postgres,
    # Four processes writing at once is the production shape, which runs on PostgreSQL;
    # SQLite is the one-process embedded default. `make test` runs this on PostgreSQL.
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
        reason="the multi-process deployment runs on PostgreSQL (make test's second pass)",
    ),
]
__all__ = ["broker", "llm", "project", "workers"]  # fixtures used here
RUNS = 20
EMPTY_REPORT = {
    "summary": "a villain",
    "report": "The villain.",
    "entities": [],
    "conflictsResolved": [],
    "openIssues": [],
}
ENDINGS = {"orchestration-complete", "error"}


@pytest.fixture
def servers(broker: str, llm: FakeLLMServer) -> Iterator[list[Server]]:
    env = child_env(llm, REDIS_URL=broker, CELERY_BROKER_URL=broker)
    env["ALADDIN_EXECUTION_RATE"] = "1000/min"
    started = [Server(env) for _ in range(2)]
    try:
        for server in started:
            server.wait_until_ready()
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def two_workers(workers: Callable[..., Worker]) -> list[Worker]:
    """Started here, not in the async test: the test database's name is only known to
    the main thread's connection."""
    return [workers("w1"), workers("w2")]


def producer(project: Project) -> str:
    user = get_user_model().objects.create_user("producer", password="pw-long-enough-1")
    ProjectMembership.objects.create(project=project, user=user, role="user")
    return str(RefreshToken.for_user(user).access_token)


async def execute(session: aiohttp.ClientSession, server: Server, token: str, n: int) -> str:
    body = {"projectId": "the-lantern-keepers", "userPrompt": f"Create villain number {n}"}
    headers = {"Authorization": f"Bearer {token}"}
    async with session.post(
        f"{server.url}/api/orchestrator/execute", json=body, headers=headers
    ) as response:
        answer = await response.json()
        assert response.status == 202, answer
        return str(answer["executionId"])


async def follow(server: Server, cookie: bytes, run: str) -> list[dict[str, Any]]:
    """Every event of the run from the first, until the one that ends it."""
    headers = {"Cookie": cookie.decode(), "Origin": server.url}
    events: list[dict[str, Any]] = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{server.url}/ws/events/", headers=headers) as ws,
    ):
        await ws.send_json({"action": "subscribe", "executionId": run, "lastSequence": 0})
        while not events or events[-1].get("type") not in ENDINGS:
            message = await ws.receive_json(timeout=240)
            if "sequence" in message:
                events.append(message)
    return events


def stored_sequences(run: str) -> list[int]:
    rows = ExecutionEvent.objects.filter(execution__execution_id=run).order_by("sequence")
    return list(rows.values_list("sequence", flat=True))


async def start_and_follow(
    servers: list[Server], token: str, cookie: bytes
) -> tuple[list[str], list[list[dict[str, Any]]]]:
    async with aiohttp.ClientSession() as session:
        runs = await asyncio.gather(
            *(execute(session, servers[n % 2], token, n) for n in range(RUNS))
        )
    followed = await asyncio.wait_for(
        asyncio.gather(*(follow(servers[n % 2], cookie, run) for n, run in enumerate(runs))),
        timeout=300,
    )
    return list(runs), list(followed)


def test_twenty_runs_over_two_servers_and_two_workers_all_complete_with_every_event(
    llm: FakeLLMServer,
    project: Project,
    servers: list[Server],
    two_workers: list[Worker],
) -> None:
    llm.script(PLAN, *[json_reply(plan(("character", 0.9)))] * RUNS)
    llm.script(SELECT, *[json_reply(selection("character-creator-001"))] * RUNS)
    # Nothing to store: the brain pipeline's own calls are not what this test is about.
    llm.script(SYNTHESIS, *[json_reply(EMPTY_REPORT)] * RUNS)
    token = producer(project)
    cookie = session_cookie("watcher", project)

    runs, followed = asyncio.run(start_and_follow(servers, token, cookie))

    statuses = Execution.objects.filter(execution_id__in=runs).values_list("status", flat=True)
    assert list(statuses) == ["completed"] * RUNS
    for run, events in zip(runs, followed, strict=True):
        sequences = [e["sequence"] for e in events]
        assert sequences == list(range(1, len(events) + 1)), run
        assert sequences == stored_sequences(run)
        assert events[-1]["type"] == "orchestration-complete"
