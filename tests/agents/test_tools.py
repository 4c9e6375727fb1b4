"""Tool calls: HTTP tools with signatures, rate limits, metrics, availability."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from asgiref.sync import sync_to_async

from agents.models import CustomTool
from agents.selectors import available_tools
from agents.tools.executor import DjangoToolExecutor
from engine.ports import RunRef
from executions.models import Execution, ToolCall
from executions.recorder import DjangoRunRecorder
from tests import factories


def new_executor() -> DjangoToolExecutor:
    """Tool calls are recorded through a run's recorder, as in the product."""
    return DjangoToolExecutor(DjangoRunRecorder())


pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """A partner's HTTP endpoint: records what it got, answers as told."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.reply: Any = {"ok": True}
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.read())
        self.headers.append(dict(request.headers))
        await asyncio.sleep(self.delay)
        return web.json_response(self.reply)


@pytest.fixture
async def receiver(egress_allows_loopback: None) -> AsyncIterator[tuple[Receiver, str]]:
    target = Receiver()
    app = web.Application()
    app.router.add_post("/hook", target.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield target, str(server.make_url("/hook"))
    await server.close()


def make_tool_and_run(**tool_fields: Any) -> tuple[RunRef, CustomTool]:
    department = factories.department()
    tool = factories.tool(**tool_fields)
    tool.departments.add(department)
    agent = factories.agent(department=department)
    agent.tools.add(tool)
    project = factories.project()
    execution = Execution.objects.create(agent=agent, prompt="x", project=project)
    return RunRef(
        str(execution.execution_id), str(execution.execution_id), agent.agent_id, project.pk
    ), tool


async def make(**fields: Any) -> tuple[RunRef, CustomTool]:
    return await sync_to_async(make_tool_and_run)(**fields)


async def test_http_tool_posts_signed_json_and_validates_output(
    receiver: tuple[Receiver, str],
) -> None:
    target, url = receiver
    target.reply = {"answer": 42}
    ref, tool = await make(
        implementation="http",
        builtin_name="",
        endpoint_url=url,
        signing_secret="s3cret",
        output_schema={"type": "object", "required": ["answer"]},
    )
    outcome = await new_executor().call(ref, "c1", tool.tool_name, '{"q": "hi"}')

    assert outcome.ok and outcome.output == {"answer": 42}
    body = target.bodies[0]
    assert json.loads(body)["input"] == {"q": "hi"}
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert target.headers[0]["X-Webhook-Signature"] == expected
    assert target.headers[0]["X-Webhook-Event"] == "tool.call"


async def test_http_tool_output_breaking_its_schema_is_an_error(
    receiver: tuple[Receiver, str],
) -> None:
    target, url = receiver
    target.reply = {"wrong": True}
    ref, tool = await make(
        implementation="http",
        builtin_name="",
        endpoint_url=url,
        output_schema={"type": "object", "required": ["answer"]},
    )
    outcome = await new_executor().call(ref, "c1", tool.tool_name, "{}")
    assert not outcome.ok and "breaks its output schema" in outcome.error


async def test_unreachable_http_tool_is_reported_not_raised(egress_allows_loopback: None) -> None:
    ref, tool = await make(
        implementation="http", builtin_name="", endpoint_url="http://127.0.0.1:9/nothing"
    )
    outcome = await new_executor().call(ref, "c1", tool.tool_name, "{}")
    assert not outcome.ok and "could not be reached" in outcome.error


async def test_rate_limit_refuses_calls_past_the_window_maximum() -> None:
    ref, tool = await make(rate_limit_max_calls=2, rate_limit_window_ms=60_000)
    executor = new_executor()
    outcomes = [
        await executor.call(ref, f"c{i}", tool.tool_name, '{"query": "x"}') for i in range(3)
    ]
    assert [o.ok for o in outcomes[:2]] == [True, True]
    assert not outcomes[2].ok and "rate limited to 2 calls per 60000 ms" in outcomes[2].error


async def test_tool_metrics_count_every_call_and_errors() -> None:
    ref, tool = await make()
    executor = new_executor()
    await asyncio.gather(
        *[executor.call(ref, f"ok{i}", tool.tool_name, '{"query": "x"}') for i in range(6)]
    )
    await executor.call(ref, "bad", tool.tool_name, '{"query": 5}')
    await tool.arefresh_from_db()
    assert tool.total_executions == 7 and tool.failed_executions == 1
    assert tool.error_rate == pytest.approx(100 / 7)
    assert await ToolCall.objects.filter(tool=tool).acount() == 7


def test_tools_are_available_only_to_their_departments_or_globally() -> None:
    home, other = factories.department(), factories.department()
    local = factories.tool()
    local.departments.add(home)
    shared = factories.tool(is_global=True)
    foreign = factories.tool()
    foreign.departments.add(other)
    inactive = factories.tool(is_global=True, is_active=False)
    agent = factories.agent(department=home)
    agent.tools.add(local, shared, foreign, inactive)
    assert {t.tool_name for t in available_tools(agent)} == {local.tool_name, shared.tool_name}


async def test_http_tool_aimed_at_loopback_is_refused_and_sends_nothing() -> None:
    target = Receiver()
    app = web.Application()
    app.router.add_post("/hook", target.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        ref, tool = await make(
            implementation="http", builtin_name="", endpoint_url=str(server.make_url("/hook"))
        )
        outcome = await new_executor().call(ref, "c1", tool.tool_name, "{}")
    finally:
        await server.close()
    assert not outcome.ok and "127.0.0.1 is a loopback address" in outcome.error
    assert target.bodies == []
    call = await ToolCall.objects.aget(call_id="c1")
    assert not call.success and "loopback" in call.error


async def test_a_50_mb_tool_answer_is_cut_and_not_stored(egress_allows_loopback: None) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        try:
            await response.write(b'{"junk": "')
            for _ in range(50):
                await response.write(b"x" * (1024 * 1024))
        except (ConnectionError, RuntimeError):
            pass
        return response

    app = web.Application()
    app.router.add_post("/hook", huge)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        ref, tool = await make(
            implementation="http", builtin_name="", endpoint_url=str(server.make_url("/hook"))
        )
        outcome = await new_executor().call(ref, "c1", tool.tool_name, "{}")
    finally:
        await server.close()
    assert not outcome.ok and "more than 1048576 bytes" in outcome.error
    call = await ToolCall.objects.aget(call_id="c1")
    assert call.output is None


async def test_deeply_nested_arguments_from_the_model_are_a_clear_error() -> None:
    ref, tool = await make()
    outcome = await new_executor().call(ref, "c1", tool.tool_name, "[" * 50_000 + "]" * 50_000)
    assert not outcome.ok and "nested 50000 levels deep" in outcome.error
