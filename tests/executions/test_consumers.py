"""The /ws/events/ stream (spec 5.1) through channels' WebsocketCommunicator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from aladdin.routing import BrowserOriginValidator, websocket_urlpatterns
from brain.models import Project, ProjectMembership
from executions.consumers import (
    CLOSE_BAD_MESSAGE,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHENTICATED,
)
from executions.events import DjangoEventSink
from executions.models import Execution, ExecutionEvent
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

APP = BrowserOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def session_cookie(username: str, project: Project | None, role: str = "viewer") -> bytes:
    user = get_user_model().objects.create_user(username, password="pw-123456789")
    if project is not None:
        ProjectMembership.objects.create(project=project, user=user, role=role)
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def orchestration(project: Project) -> str:
    root = Execution.objects.create(kind=Execution.Kind.ORCHESTRATION, project=project)
    root.root = root
    root.save(update_fields=["root"])
    return str(root.execution_id)


@pytest.fixture
async def setup() -> dict[str, Any]:
    def make() -> dict[str, Any]:
        ours, theirs = factories.project(), factories.project()
        return {
            "ours": ours,
            "theirs": theirs,
            "cookie": session_cookie("viewer", ours),
            "run": orchestration(ours),
            "other_run": orchestration(theirs),
        }

    return await sync_to_async(make)()


async def connect(cookie: bytes | None, path: str = "/ws/events/") -> WebsocketCommunicator:
    headers = [ORIGIN] + ([(b"cookie", cookie)] if cookie else [])
    communicator = WebsocketCommunicator(APP, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@pytest.fixture
async def sink() -> AsyncIterator[DjangoEventSink]:
    yield DjangoEventSink()


async def emit(sink: DjangoEventSink, run: str, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        await sink.emit(run, "specialist-executing", {"executionId": run, "step": i})


async def events_until(ws: WebsocketCommunicator, last: int) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while not received or received[-1].get("sequence") != last:
        message = await ws.receive_json_from(timeout=10)
        if "sequence" in message:
            received.append(message)
    return received


async def test_subscriber_gets_the_stored_log_then_live_events_in_order(
    setup: dict[str, Any], sink: DjangoEventSink
) -> None:
    await emit(sink, setup["run"], 3)
    ws = await connect(setup["cookie"])
    await ws.send_json_to({"action": "subscribe", "executionId": setup["run"]})
    ack = await ws.receive_json_from()
    assert ack == {"action": "subscribed", "executionId": setup["run"], "lastSequence": 0}

    await emit(sink, setup["run"], 2, start=3)
    events = await events_until(ws, 5)

    assert [e["sequence"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["type"] == "specialist-executing"
    assert events[0]["executionId"] == setup["run"]
    assert [e["step"] for e in events] == [0, 1, 2, 3, 4]  # payload fields, flat (spec 5.2)
    await ws.disconnect()


async def test_resume_loses_and_doubles_nothing_while_events_keep_arriving(
    setup: dict[str, Any], sink: DjangoEventSink
) -> None:
    await emit(sink, setup["run"], 40)
    ws = await connect(setup["cookie"])
    producer = asyncio.create_task(emit(DjangoEventSink(), setup["run"], 60, start=40))
    await ws.send_json_to({"action": "subscribe", "executionId": setup["run"], "lastSequence": 17})

    events = await events_until(ws, 100)
    await producer

    assert [e["sequence"] for e in events] == list(range(18, 101))
    assert await ws.receive_nothing(timeout=0.2)
    await ws.disconnect()


async def test_a_bell_the_layer_lost_is_filled_from_the_database(
    setup: dict[str, Any], sink: DjangoEventSink
) -> None:
    await emit(sink, setup["run"], 2)
    ws = await connect(setup["cookie"])
    await ws.send_json_to({"action": "subscribe", "executionId": setup["run"]})
    await events_until(ws, 2)

    # Written but never announced: as if the channel layer dropped its bell.
    root = await Execution.objects.aget(execution_id=setup["run"])
    await ExecutionEvent.objects.acreate(execution=root, sequence=3, type="error", payload={})
    await sink.emit(setup["run"], "brain-storage", {"executionId": setup["run"]})

    events = await events_until(ws, 4)
    assert [(e["sequence"], e["type"]) for e in events] == [(3, "error"), (4, "brain-storage")]
    await ws.disconnect()


async def test_connection_without_a_session_or_token_is_closed_with_4401(
    setup: dict[str, Any],
) -> None:
    ws = await connect(None)
    assert await ws.receive_output() == {
        "type": "websocket.close",
        "code": CLOSE_UNAUTHENTICATED,
        "reason": "Log in, or send an API token.",
    }


async def test_subscribing_to_another_projects_run_closes_with_4403(
    setup: dict[str, Any],
) -> None:
    ws = await connect(setup["cookie"])
    await ws.send_json_to({"action": "subscribe", "executionId": setup["other_run"]})
    refusal = await ws.receive_json_from()
    assert refusal["code"] == CLOSE_FORBIDDEN and "execution:read" in refusal["error"]
    assert (await ws.receive_output())["code"] == CLOSE_FORBIDDEN


async def test_all_carries_only_runs_of_readable_projects(
    setup: dict[str, Any], sink: DjangoEventSink
) -> None:
    ws = await connect(setup["cookie"])
    await ws.send_json_to({"action": "subscribe", "executionId": "all"})
    assert (await ws.receive_json_from())["executionId"] == "all"

    await emit(sink, setup["other_run"], 2)
    await emit(sink, setup["run"], 1)
    await emit(sink, setup["other_run"], 1, start=2)
    await emit(sink, setup["run"], 1, start=1)

    events = await events_until(ws, 2)
    assert {e["executionId"] for e in events} == {setup["run"]}
    assert [e["sequence"] for e in events] == [1, 2]
    assert await ws.receive_nothing(timeout=0.2)


async def test_unsubscribe_stops_the_stream(setup: dict[str, Any], sink: DjangoEventSink) -> None:
    ws = await connect(setup["cookie"])
    await ws.send_json_to({"action": "subscribe", "executionId": setup["run"]})
    await ws.receive_json_from()
    await ws.send_json_to({"action": "unsubscribe", "executionId": setup["run"]})
    assert (await ws.receive_json_from())["action"] == "unsubscribed"

    await emit(sink, setup["run"], 2)
    assert await ws.receive_nothing(timeout=0.3)


@pytest.mark.parametrize(
    "message",
    [
        {"action": "dance"},
        {"action": "subscribe"},
        {"action": "subscribe", "executionId": "not-a-uuid"},
        {"action": "subscribe", "executionId": "all", "lastSequence": "x"},
    ],
)
async def test_a_malformed_message_closes_with_4400(
    setup: dict[str, Any], message: dict[str, Any]
) -> None:
    if message.get("executionId") == "all":
        message = {**message, "executionId": setup["run"]}
    ws = await connect(setup["cookie"])
    await ws.send_json_to(message)
    assert (await ws.receive_json_from())["code"] == CLOSE_BAD_MESSAGE
    assert (await ws.receive_output())["code"] == CLOSE_BAD_MESSAGE


@pytest.mark.parametrize("frame", [{"text_data": "not json"}, {"bytes_data": b"\x00\x01"}])
async def test_a_frame_that_is_not_json_text_closes_with_4400_and_says_so(
    setup: dict[str, Any], frame: dict[str, Any]
) -> None:
    """Was an exception in the consumer: the client saw close code 1011 and no reason."""
    ws = await connect(setup["cookie"])
    await ws.send_to(**frame)
    refusal = await ws.receive_json_from()
    assert refusal["code"] == CLOSE_BAD_MESSAGE and "JSON" in refusal["error"]
    assert (await ws.receive_output())["code"] == CLOSE_BAD_MESSAGE


async def test_an_unknown_run_closes_with_4404(setup: dict[str, Any]) -> None:
    ws = await connect(setup["cookie"])
    await ws.send_json_to(
        {"action": "subscribe", "executionId": "00000000-0000-0000-0000-000000000000"}
    )
    assert (await ws.receive_json_from())["code"] == CLOSE_NOT_FOUND


async def test_an_unknown_path_closes_cleanly_with_4404(setup: dict[str, Any]) -> None:
    ws = await connect(setup["cookie"], "/ws/nothing-here/")
    closing = await ws.receive_output()
    assert closing["type"] == "websocket.close" and closing["code"] == CLOSE_NOT_FOUND


async def test_a_cross_site_page_is_refused_at_the_handshake(setup: dict[str, Any]) -> None:
    headers = [(b"origin", b"https://evil.example"), (b"cookie", setup["cookie"])]
    ws = WebsocketCommunicator(APP, "/ws/events/", headers=headers)
    connected, _ = await ws.connect()
    assert not connected


async def test_an_api_key_in_the_handshake_authenticates_a_non_browser_client(
    setup: dict[str, Any], sink: DjangoEventSink
) -> None:
    from api.keys import create_key

    def key_for_member() -> str:
        user = get_user_model().objects.create_user("script", password="pw-123456789")
        ProjectMembership.objects.create(project=setup["ours"], user=user, role="viewer")
        return create_key(user, "ci")[1]

    raw = await sync_to_async(key_for_member)()
    await emit(sink, setup["run"], 1)
    # No Origin header: not a browser, so only the key can authenticate it.
    ws = WebsocketCommunicator(APP, "/ws/events/", headers=[(b"x-api-key", raw.encode())])
    assert (await ws.connect())[0]
    await ws.send_json_to({"action": "subscribe", "executionId": setup["run"]})
    await ws.receive_json_from()
    assert [e["sequence"] for e in await events_until(ws, 1)] == [1]
    await ws.disconnect()
