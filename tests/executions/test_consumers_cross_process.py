"""Events reach clients of other ASGI processes through Redis: two real daphne
servers, a real Redis, and the event emitted by a third process (this one, in the
role a Celery worker plays in production)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from pytest_django.fixtures import Settings as SettingsWrapper

from executions.events import DjangoEventSink
from tests import factories
from tests.browser.server import Server
from tests.conftest import service_url
from tests.executions.test_consumers import orchestration, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
def redis_layer(settings: SettingsWrapper) -> Iterator[str]:
    url = service_url("redis")
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",  # as settings.py
            "CONFIG": {"hosts": [url], "prefix": "aladdin"},
        }
    }
    channel_layers.backends.clear()
    yield url
    channel_layers.backends.clear()


@pytest.fixture
def two_servers(redis_layer: str) -> Iterator[list[Server]]:
    servers = [Server({"REDIS_URL": redis_layer}) for _ in range(2)]
    try:
        for server in servers:
            server.wait_until_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


async def listen(
    server: Server, cookie: bytes, run: str, count: int, ready: asyncio.Semaphore
) -> list[dict[str, Any]]:
    headers = {"Cookie": cookie.decode(), "Origin": server.url}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{server.url}/ws/events/", headers=headers) as ws,
    ):
        await ws.send_json({"action": "subscribe", "executionId": run})
        ack = await ws.receive_json(timeout=30)
        assert ack["action"] == "subscribed", ack
        ready.release()
        events = []
        while len(events) < count:
            events.append(await ws.receive_json(timeout=30))
        return events


async def test_an_event_emitted_elsewhere_reaches_clients_of_two_server_processes(
    two_servers: list[Server],
) -> None:
    def make() -> tuple[str, bytes]:
        project = factories.project()
        return orchestration(project), session_cookie("viewer", project)

    run, cookie = await sync_to_async(make)()
    ready = asyncio.Semaphore(0)
    listeners = [asyncio.create_task(listen(s, cookie, run, 5, ready)) for s in two_servers]
    for _ in two_servers:  # both subscribed (and their logs empty) before anything is emitted
        await asyncio.wait_for(ready.acquire(), 60)

    sink = DjangoEventSink()
    for step in range(5):
        await sink.emit(run, "specialist-executing", {"executionId": run, "step": step})

    received = await asyncio.wait_for(asyncio.gather(*listeners), 60)
    for events in received:
        assert [e["sequence"] for e in events] == [1, 2, 3, 4, 5]
        assert [e["step"] for e in events] == [0, 1, 2, 3, 4]
