"""Tests for the fake OpenAI-compatible server, driven through the real litellm path.

They also pin litellm's observable behaviour (exception classes per status, where
Retry-After lives, its default retries) because the product builds its own retry and
error handling on top of it; a litellm upgrade that changes any of this should fail here.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import jsonschema
import pytest

# litellm fetches its model cost map from the internet on import unless told otherwise.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm

from engine.schema_sample import sample_from_schema

from . import fixtures
from .fake_llm import (
    FakeLLMServer,
    call,
    hang,
    http_error,
    json_reply,
    raw,
    request_text,
    text,
    tool_calls,
)

# Re-exported so pytest finds them here before the project conftest imports them.
fake_llm = fixtures.fake_llm
fake_llm_session = fixtures.fake_llm_session

MODEL = "openai/fake-model"
USER = [{"role": "user", "content": "hello there"}]
SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the archive",
        "parameters": {
            "type": "object",
            "properties": {"q": {"type": "string"}},
            "required": ["q"],
        },
    },
}
JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "minimum": 0, "maximum": 100},
        "verdict": {"type": "string", "enum": ["accept", "revise", "reject"]},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "notes": {"type": ["string", "null"]},
    },
    "required": ["score", "verdict", "reasons", "notes"],
    "additionalProperties": False,
}


async def complete(server: FakeLLMServer, messages: Any = None, **kwargs: Any) -> Any:
    """litellm.acompletion against the fake, with every litellm/OpenAI retry switched off."""
    kwargs.setdefault("num_retries", 0)
    kwargs.setdefault("max_retries", 0)
    return await litellm.acompletion(
        model=MODEL,
        api_base=server.base_url,
        api_key="test-key",
        messages=messages or USER,
        **kwargs,
    )


async def rebuild_stream(stream: Any) -> Any:
    """Collect a litellm stream and reassemble it the way litellm itself does."""
    rebuilt = litellm.stream_chunk_builder([chunk async for chunk in stream])
    assert isinstance(rebuilt, litellm.ModelResponse)
    return rebuilt


async def iter_async(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def post_json(url: str, body: Any, timeout: float = 5.0) -> tuple[int, Any]:
    """A bare HTTP client for server-level tests that need no litellm."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")


def server_threads() -> int:
    return sum(t.name == "fake-llm-server" and t.is_alive() for t in threading.enumerate())


# ------------------------------------------------------------ happy paths
async def test_plain_text_default_reply(fake_llm: FakeLLMServer) -> None:
    response = await complete(fake_llm)

    choice = response.choices[0]
    assert choice.message.content == "fake reply"
    assert choice.message.role == "assistant"
    assert choice.message.tool_calls is None
    assert choice.finish_reason == "stop"
    # litellm strips the "openai/" routing prefix; the server echoes what it received.
    assert response.model == "fake-model"
    assert response.id.startswith("chatcmpl-fake-")


async def test_scripted_text_and_request_recording(fake_llm: FakeLLMServer) -> None:
    fake_llm.script("hello", text("hi from the script"))

    response = await complete(fake_llm, temperature=0.2)

    assert response.choices[0].message.content == "hi from the script"
    [body] = fake_llm.requests
    assert body["model"] == "fake-model"
    assert body["messages"] == USER
    assert body["temperature"] == 0.2
    assert fake_llm.request_headers[0]["Authorization"] == "Bearer test-key"
    assert fake_llm.pending_replies == 0


async def test_json_schema_default_reply_validates(fake_llm: FakeLLMServer) -> None:
    response_format = {
        "type": "json_schema",
        "json_schema": {"name": "judge", "schema": JUDGE_SCHEMA, "strict": True},
    }

    response = await complete(fake_llm, response_format=response_format)

    reply = json.loads(response.choices[0].message.content)
    jsonschema.validate(reply, JUDGE_SCHEMA)
    assert reply["score"] == 85  # demo judges must pass: 85 % of 0..100
    assert reply["verdict"] == "accept"
    # litellm forwards json_schema untouched to OpenAI-compatible servers.
    assert fake_llm.requests[0]["response_format"] == response_format


async def test_json_object_default_reply(fake_llm: FakeLLMServer) -> None:
    response = await complete(fake_llm, response_format={"type": "json_object"})

    assert json.loads(response.choices[0].message.content) == {"result": "fake"}


async def test_json_reply_builder(fake_llm: FakeLLMServer) -> None:
    fake_llm.script("hello", json_reply({"score": 12, "verdict": "revise"}))

    response = await complete(fake_llm)

    assert json.loads(response.choices[0].message.content) == {"score": 12, "verdict": "revise"}


async def test_tool_calls_reach_litellm_parsed(fake_llm: FakeLLMServer) -> None:
    fake_llm.script(
        "search",  # matches the tool name offered in the request
        tool_calls(call("search", {"q": "noir films"}, id="call_1"), call("search", "{broken")),
    )

    response = await complete(fake_llm, tools=[SEARCH_TOOL])

    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    first, second = choice.message.tool_calls
    assert (first.id, first.type, first.function.name) == ("call_1", "function", "search")
    # litellm hands arguments over as the raw JSON string; parsing is the caller's job...
    assert json.loads(first.function.arguments) == {"q": "noir films"}
    # ...which is why malformed arguments arrive verbatim instead of raising.
    assert second.function.arguments == "{broken"
    assert second.id  # a generated id, so tool results can always be correlated
    assert fake_llm.requests[0]["tools"] == [SEARCH_TOOL]


async def test_usage_is_derived_from_characters(fake_llm: FakeLLMServer) -> None:
    messages = [
        {"role": "system", "content": "s" * 10},
        {"role": "user", "content": [{"type": "text", "text": "u" * 9}]},
    ]
    fake_llm.script(lambda body: True, text("r" * 9))

    response = await complete(fake_llm, messages=messages)

    # ceil(19 / 4) = 5 prompt tokens, ceil(9 / 4) = 3 completion tokens.
    usage = response.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (5, 3, 8)


async def test_tool_call_usage_counts_arguments(fake_llm: FakeLLMServer) -> None:
    fake_llm.script("hello", tool_calls(call("search", "x" * 8)))

    response = await complete(fake_llm, tools=[SEARCH_TOOL])

    assert response.usage.completion_tokens == 2


async def test_streaming_text_with_usage(fake_llm: FakeLLMServer) -> None:
    content = "a streamed reply that is long enough to arrive in several chunks"
    fake_llm.script("hello", text(content))

    stream = await complete(fake_llm, stream=True, stream_options={"include_usage": True})
    chunks = [chunk async for chunk in stream]

    assert len(chunks) > 3  # really delivered in pieces
    rebuilt = await rebuild_stream(iter_async(chunks))
    assert rebuilt.choices[0].message.content == content
    assert rebuilt.choices[0].finish_reason == "stop"
    assert rebuilt.usage.completion_tokens == 16


async def test_streaming_tool_calls(fake_llm: FakeLLMServer) -> None:
    fake_llm.script("hello", tool_calls(call("search", {"q": "cats"}, id="call_s")))

    rebuilt = await rebuild_stream(await complete(fake_llm, stream=True, tools=[SEARCH_TOOL]))

    [tool_call] = rebuilt.choices[0].message.tool_calls
    assert (tool_call.id, tool_call.function.name) == ("call_s", "search")
    assert json.loads(tool_call.function.arguments) == {"q": "cats"}
    assert rebuilt.choices[0].finish_reason == "tool_calls"


# ---------------------------------------------------------------- errors
async def test_rate_limit_exposes_retry_after(fake_llm: FakeLLMServer) -> None:
    fake_llm.script("hello", http_error(429, headers={"Retry-After": "2"}))

    with pytest.raises(litellm.RateLimitError) as caught:
        await complete(fake_llm)

    error = caught.value
    assert error.status_code == 429
    # The provider's headers survive only in this attribute, which litellm sets with
    # setattr (undeclared, so read it with getattr); error.response is a stand-in.
    headers = getattr(error, "litellm_response_headers", None)
    assert headers is not None
    assert headers["retry-after"] == "2"  # an httpx.Headers: case-insensitive
    assert "retry-after" not in error.response.headers
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, litellm.BadRequestError),
        (401, litellm.AuthenticationError),
        (403, litellm.APIError),  # not PermissionDeniedError: litellm's openai mapping
        (404, litellm.NotFoundError),
        (408, litellm.Timeout),
        (422, litellm.BadRequestError),
        (500, litellm.InternalServerError),
        (502, litellm.BadGatewayError),
        (503, litellm.ServiceUnavailableError),
        (504, litellm.Timeout),
    ],
)
async def test_status_maps_to_litellm_exception(
    fake_llm: FakeLLMServer, status: int, expected: type[Exception]
) -> None:
    fake_llm.script("hello", http_error(status))

    with pytest.raises(expected) as caught:
        await complete(fake_llm)

    assert caught.value.status_code == status  # type: ignore[attr-defined]
    assert len(fake_llm.requests) == 1


async def test_401_mentioning_invalid_request_error_becomes_bad_request(
    fake_llm: FakeLLMServer,
) -> None:
    # litellm matches the body text before the status: an OpenAI-compatible server that
    # answers 401 with type "invalid_request_error" surfaces as BadRequestError.
    fake_llm.script("hello", http_error(401, message="bad key", error_type="invalid_request_error"))

    with pytest.raises(litellm.BadRequestError) as caught:
        await complete(fake_llm)

    assert caught.value.status_code == 401


async def test_context_window_error(fake_llm: FakeLLMServer) -> None:
    message = "This model's maximum context length is 8192 tokens."
    fake_llm.script("hello", http_error(400, message=message, code="context_length_exceeded"))

    with pytest.raises(litellm.ContextWindowExceededError):
        await complete(fake_llm)


@pytest.mark.parametrize("body", ["{not json", "", '{"id": "x"}'])
async def test_malformed_200_body_surfaces_as_internal_server_error(
    fake_llm: FakeLLMServer, body: str
) -> None:
    # Beware: litellm reports a garbled 200 as a 500, which generic retry logic retries.
    fake_llm.script("hello", raw(200, body))

    with pytest.raises(litellm.InternalServerError):
        await complete(fake_llm)


async def test_non_json_error_page(fake_llm: FakeLLMServer) -> None:
    fake_llm.script("hello", raw(502, "<html>bad gateway</html>", content_type="text/html"))

    with pytest.raises(litellm.BadGatewayError, match="bad gateway"):
        await complete(fake_llm)


async def test_hang_times_out_quickly(fake_llm: FakeLLMServer) -> None:
    fake_llm.script("hello", hang())

    started = time.monotonic()
    with pytest.raises(litellm.Timeout):
        await complete(fake_llm, timeout=0.5)

    assert time.monotonic() - started < 2.0
    assert len(fake_llm.requests) == 1


# ------------------------------------------------- litellm default retries
@pytest.mark.parametrize(
    ("retry_kwargs", "expected_requests"),
    [
        ({}, 3),  # the OpenAI SDK inside litellm retries twice by default
        ({"max_retries": 0}, 1),
        ({"num_retries": 0}, 1),  # litellm passes num_retries on as the SDK's max_retries
        ({"num_retries": 0, "max_retries": 0}, 1),
        ({"num_retries": 1, "max_retries": 0}, 2),  # litellm's own wrapper retries
    ],
)
async def test_litellm_retry_defaults(
    fake_llm: FakeLLMServer, retry_kwargs: dict[str, int], expected_requests: int
) -> None:
    # retry-after-ms keeps the SDK's back-off at 10 ms so the default case stays fast.
    fake_llm.script("hello", *[http_error(429, headers={"retry-after-ms": "10"})] * 5)

    with pytest.raises(litellm.RateLimitError):
        await litellm.acompletion(
            model=MODEL, api_base=fake_llm.base_url, api_key="k", messages=USER, **retry_kwargs
        )

    assert len(fake_llm.requests) == expected_requests


async def test_litellm_retries_timeouts_by_default(fake_llm: FakeLLMServer) -> None:
    fake_llm.script("hello", hang(), hang(), hang())

    with pytest.raises(litellm.Timeout):
        await litellm.acompletion(
            model=MODEL, api_base=fake_llm.base_url, api_key="k", messages=USER, timeout=0.3
        )

    assert len(fake_llm.requests) == 3


# ----------------------------------------------------- latency & scripting
async def test_latency_and_reply_delay_are_applied(fake_llm: FakeLLMServer) -> None:
    fake_llm.latency = 0.2
    fake_llm.script("hello", text("slow", delay=0.2))

    started = time.monotonic()
    await complete(fake_llm)

    assert time.monotonic() - started >= 0.4


async def test_later_scripts_take_precedence_until_exhausted(fake_llm: FakeLLMServer) -> None:
    older = fake_llm.script("hello", text("older 1"), text("older 2"))
    newer = fake_llm.script("hello", text("newer"))
    fake_llm.script("unrelated", text("never"))

    contents = [(await complete(fake_llm)).choices[0].message.content for _ in range(4)]

    assert contents == ["newer", "older 1", "older 2", "fake reply"]
    assert older.exhausted and newer.exhausted
    assert fake_llm.pending_replies == 1  # the "unrelated" reply was never used


async def test_matchers_see_model_tools_and_callables(fake_llm: FakeLLMServer) -> None:
    fake_llm.script("fake-model", text("by model"))
    fake_llm.script(lambda body: body.get("temperature") == 0.0, text("by callable"))

    by_callable = await complete(fake_llm, temperature=0.0)
    by_model = await complete(fake_llm)

    assert by_callable.choices[0].message.content == "by callable"
    assert by_model.choices[0].message.content == "by model"
    assert len(fake_llm.requests_matching(lambda body: "temperature" in body)) == 1
    assert len(fake_llm.requests_matching("hello there")) == 2


async def test_wait_for_requests_async_with_concurrent_calls(fake_llm: FakeLLMServer) -> None:
    fake_llm.latency = 0.2

    calls = [asyncio.create_task(complete(fake_llm)) for _ in range(3)]
    seen = await fake_llm.wait_for_requests_async(3, seconds=5)
    responses = await asyncio.gather(*calls)

    assert len(seen) == 3
    assert all(r.choices[0].message.content == "fake reply" for r in responses)


async def test_session_server_is_reusable_across_event_loops(
    fake_llm_session: FakeLLMServer,
) -> None:
    fake_llm_session.reset()
    fake_llm_session.script("hello", text("session"))

    response = await complete(fake_llm_session)

    assert response.choices[0].message.content == "session"
    fake_llm_session.reset()


async def test_session_server_second_loop(fake_llm_session: FakeLLMServer) -> None:
    fake_llm_session.reset()

    response = await complete(fake_llm_session)

    assert response.choices[0].message.content == "fake reply"
    assert len(fake_llm_session.requests) == 1


# ---------------------------------------------------- server without litellm
def test_lifecycle_start_stop_restart() -> None:
    threads_before = server_threads()
    server = FakeLLMServer()
    with pytest.raises(RuntimeError):
        _ = server.base_url

    with server:
        first_port = server.port
        assert server.base_url == f"http://127.0.0.1:{first_port}/v1"
        with pytest.raises(RuntimeError):
            server.start()
    server.stop()  # idempotent

    assert server_threads() == threads_before
    # The listening socket is closed, not leaked.
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", first_port), timeout=1),
    ):
        pass

    server.start()
    try:
        assert post_json(f"{server.base_url}/chat/completions", {"messages": USER})[0] == 200
    finally:
        server.stop()


def test_sync_use_routes_models_and_errors(fake_llm: FakeLLMServer) -> None:
    root = fake_llm.base_url.removesuffix("/v1")

    status, body = post_json(f"{root}/chat/completions", {"model": "m", "messages": USER})
    assert status == 200
    assert body["model"] == "m"
    assert body["object"] == "chat.completion"
    assert isinstance(body["created"], int)

    with urllib.request.urlopen(f"{fake_llm.base_url}/models", timeout=5) as response:
        assert json.loads(response.read())["data"][0]["id"] == "fake-model"

    status, body = post_json(f"{fake_llm.base_url}/chat/completions", b"{oops")
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"


def test_matcher_exception_becomes_loud_500(fake_llm: FakeLLMServer) -> None:
    def broken(body: dict[str, Any]) -> bool:
        raise KeyError("nope")

    fake_llm.script(broken, text("never"))

    status, body = post_json(f"{fake_llm.base_url}/chat/completions", {"messages": USER})

    assert status == 500
    assert "matcher raised" in body["error"]["message"]


def test_error_reply_body_and_headers(fake_llm: FakeLLMServer) -> None:
    fake_llm.script("hello", http_error(429, message="slow down", headers={"Retry-After": "7"}))
    request = urllib.request.Request(
        f"{fake_llm.base_url}/chat/completions",
        data=json.dumps({"messages": USER}).encode(),
        headers={"Content-Type": "application/json"},
    )

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)

    with caught.value as error:
        assert error.code == 429
        assert error.headers["Retry-After"] == "7"
        assert json.loads(error.read())["error"] == {
            "message": "slow down",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }


def test_stop_releases_hanging_requests() -> None:
    server = FakeLLMServer().start()
    server.script("hello", hang())
    outcome: list[object] = []

    def client() -> None:
        try:
            outcome.append(post_json(f"{server.base_url}/chat/completions", {"messages": USER}))
        except Exception as exc:  # a reset connection is as good as a 503 here
            outcome.append(exc)

    worker = threading.Thread(target=client)
    worker.start()
    server.wait_for_requests(1, timeout=5)

    started = time.monotonic()
    server.stop()
    worker.join(5)

    assert time.monotonic() - started < 3
    assert not worker.is_alive()
    assert outcome


def test_wait_for_requests_times_out(fake_llm: FakeLLMServer) -> None:
    with pytest.raises(TimeoutError, match="expected 1 request"):
        fake_llm.wait_for_requests(1, timeout=0.1)


def test_reset_clears_everything(fake_llm: FakeLLMServer) -> None:
    fake_llm.script("hello", text("x"))
    fake_llm.latency = 1.0
    post_json(f"{fake_llm.base_url}/chat/completions", {"messages": [{"content": "other"}]})

    fake_llm.reset()

    assert (fake_llm.requests, fake_llm.pending_replies, fake_llm.latency) == ([], 0, 0.0)
    with pytest.raises(ValueError):
        fake_llm.latency = -1


def test_request_text_and_builders_validate() -> None:
    body = {
        "model": "m1",
        "messages": [{"content": "a"}, {"content": [{"type": "text", "text": "b"}]}],
        "tools": [SEARCH_TOOL],
    }
    assert request_text(body) == "a\nb\nm1\nsearch"
    with pytest.raises(ValueError):
        tool_calls()
    with pytest.raises(TypeError):
        FakeLLMServer().script(42, text("x"))  # type: ignore[arg-type]


# --------------------------------------- sample_from_schema (default replies)
SCHEMAS: dict[str, dict[str, Any]] = {
    "openai_strict_judge": JUDGE_SCHEMA,
    "refs_and_defs": {
        "$defs": {
            "shot": {
                "type": "object",
                "properties": {"number": {"type": "integer", "minimum": 1}, "summary": {}},
                "required": ["number"],
            }
        },
        "type": "object",
        "properties": {"shots": {"type": "array", "items": {"$ref": "#/$defs/shot"}}},
    },
    "draft7_definitions_and_tuple": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": {"id": {"type": "string", "format": "uuid"}},
        "type": "array",
        "items": [{"$ref": "#/definitions/id"}, {"type": "boolean"}, {"type": "null"}],
        "additionalItems": False,
    },
    "string_formats_and_lengths": {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "link": {"type": "string", "format": "uri"},
            "mail": {"type": "string", "format": "email"},
            "uid": {"type": "string", "format": "uuid"},
            "long": {"type": "string", "minLength": 60},
            "short": {"type": "string", "maxLength": 4},
            "code": {"type": "string", "pattern": r"^[A-Z]{3}-\d{4}$"},
            "slug": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$", "minLength": 3},
        },
    },
    "numbers": {
        "type": "object",
        "properties": {
            "ratio": {"type": "number", "minimum": 0, "maximum": 1},
            "open": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "tenths": {"type": "number", "multipleOf": 0.1, "minimum": 0.3, "maximum": 0.7},
            "weeks": {"type": "integer", "multipleOf": 7, "minimum": 10, "maximum": 30},
            "stars": {"type": "integer", "minimum": 1, "maximum": 5},
            "negative": {"type": "integer", "exclusiveMaximum": -10},
            "free": {"type": "number"},
        },
    },
    "draft4_boolean_exclusive": {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "integer",
        "minimum": 0,
        "maximum": 3,
        "exclusiveMinimum": True,
        "exclusiveMaximum": True,
    },
    "combinators": {
        "type": "object",
        "properties": {
            "either": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 20}]},
            "one": {"oneOf": [{"type": "integer", "minimum": 10}, {"type": "boolean"}]},
            "both": {
                "allOf": [
                    {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                    {"properties": {"b": {"type": "integer", "maximum": 3}}, "required": ["b"]},
                ]
            },
        },
        "required": ["either", "one", "both"],
    },
    "unique_enum_array": {
        "type": "array",
        "items": {"enum": ["red", "green", "blue"]},
        "minItems": 3,
        "uniqueItems": True,
    },
    "unique_object_array": {
        "type": "array",
        "items": {"type": "object", "properties": {"title": {"type": "string"}}},
        "minItems": 2,
        "uniqueItems": True,
    },
    "unique_scalars": {
        "type": "object",
        "properties": {
            "ranks": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 3},
                "minItems": 3,
                "uniqueItems": True,
            },
            "flags": {
                "type": "array",
                "items": {"type": "boolean"},
                "minItems": 2,
                "uniqueItems": True,
            },
        },
    },
    "dependencies_and_contains": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "labels": {"type": "array", "items": {"type": "string"}, "contains": {"const": "key"}},
        },
        "dependentRequired": {"city": ["postcode"]},
    },
    "maps": {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 5},
        "minProperties": 2,
        "propertyNames": {"pattern": "^key"},
    },
    "pattern_properties": {
        "type": "object",
        "patternProperties": {"^key": {"type": "boolean"}},
        "additionalProperties": False,
        "minProperties": 1,
    },
    "const_enum_null": {
        "type": "object",
        "properties": {
            "kind": {"const": "scene"},
            "mood": {"type": ["string", "null"], "enum": [None, "dark", "light"]},
            "maybe": {"type": ["null", "integer"]},
        },
    },
    "recursive_tree": {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                    "parent": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]},
                },
                "required": ["name", "children", "parent"],
            }
        },
        "$ref": "#/$defs/node",
    },
    "prefix_items_closed": {
        "type": "array",
        "prefixItems": [{"type": "string"}, {"type": "number"}],
        "items": False,
        "minItems": 2,
    },
    "pydantic_optional": {
        "$defs": {"Scene": {"type": "object", "properties": {"title": {"type": "string"}}}},
        "type": "object",
        "properties": {
            "scene": {"anyOf": [{"$ref": "#/$defs/Scene"}, {"type": "null"}], "default": None}
        },
    },
    "empty": {},
}


def validator_for(schema: dict[str, Any]) -> Any:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(params=sorted(SCHEMAS))
def schema_case(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    yield SCHEMAS[request.param]


def test_sample_validates(schema_case: dict[str, Any]) -> None:
    instance = sample_from_schema(schema_case)

    errors = [e.message for e in validator_for(schema_case).iter_errors(instance)]
    assert errors == [], instance


def test_sample_is_readable_and_judges_accept() -> None:
    judge = sample_from_schema(JUDGE_SCHEMA, label="demo")

    assert judge == {
        "score": 85,
        "verdict": "accept",
        "reasons": ["[demo] reasons"],
        "notes": "[demo] notes",
    }
    assert sample_from_schema({"type": "string"}, label="fake") == "[fake] value"
    numbers = sample_from_schema(SCHEMAS["numbers"])
    assert numbers["ratio"] == 0.85
    assert numbers["stars"] == 4


def test_sample_recursion_terminates() -> None:
    tree = sample_from_schema(SCHEMAS["recursive_tree"])

    assert tree["name"] == "[demo] name"
    assert tree["parent"] is None
    assert tree["children"] == [{"name": "[demo] name", "children": [], "parent": None}]
