"""A fake OpenAI-compatible HTTP server: the only fake our tests may use.

It sits at the network edge so the product's real litellm -> openai SDK -> httpx path
runs end to end; tests script what "the model" answers, including HTTP errors,
malformed bodies, tool calls, latency and requests that never answer.

The server runs an aiohttp app on its own event loop in a background thread, so it
works the same from sync tests and from async tests (whose loop stays independent).

    with FakeLLMServer() as server:
        server.script("summarise", text("short summary"))
        server.script(lambda body: body.get("tools"), tool_calls(call("search", {"q": "x"})))
        ...  # litellm.acompletion(model="openai/fake-model", api_base=server.base_url, ...)
        assert server.requests_matching("summarise")
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import itertools
import json
import math
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeAlias

from aiohttp import web

from engine.schema_sample import sample_from_schema

__all__ = [
    "DisconnectReply",
    "ErrorReply",
    "FakeLLMServer",
    "HangReply",
    "Matcher",
    "RawReply",
    "Reply",
    "Script",
    "TextReply",
    "ToolCall",
    "ToolCallsReply",
    "call",
    "disconnect",
    "embeddings_json",
    "fake_embedding",
    "hang",
    "http_error",
    "json_reply",
    "raw",
    "request_text",
    "text",
    "tool_calls",
]

JSON: TypeAlias = dict[str, Any]

DEFAULT_TEXT = "fake reply"
DEFAULT_JSON_OBJECT: Mapping[str, Any] = {"result": "fake"}
MODEL_IDS = ("fake-model",)
# Streaming replies are cut into pieces this long so clients really reassemble deltas.
_STREAM_PIECE = 16
# How often a hanging handler checks whether its client has given up.
_HANG_POLL_SECONDS = 0.05

# OpenAI's error "type"/"code" per status, so litellm's mapping sees realistic bodies.
_ERROR_KINDS: Mapping[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "model_not_found"),
    408: ("timeout_error", None),
    409: ("conflict_error", None),
    422: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", None),
    503: ("server_error", "service_unavailable"),
}
# litellm maps any body mentioning "invalid_request_error" to BadRequestError unless the
# message has OpenAI's real 401 wording, so the default 401 copies that wording.
_DEFAULT_MESSAGES: Mapping[int, str] = {
    401: "Incorrect API key provided (fake server).",
}


# --------------------------------------------------------------------- replies
@dataclass(frozen=True)
class ToolCall:
    """One function call inside an assistant message; arguments stay a raw string."""

    name: str
    arguments: str
    id: str | None = None


@dataclass(frozen=True)
class TextReply:
    content: str
    finish_reason: str = "stop"
    delay: float = 0.0


@dataclass(frozen=True)
class ToolCallsReply:
    calls: tuple[ToolCall, ...]
    content: str | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class ErrorReply:
    status: int
    message: str
    error_type: str
    code: str | None
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


@dataclass(frozen=True)
class RawReply:
    status: int
    body: str
    content_type: str = "application/json"
    delay: float = 0.0


@dataclass(frozen=True)
class HangReply:
    """Never answers: released when the client disconnects or the server stops."""

    delay: float = 0.0


@dataclass(frozen=True)
class DisconnectReply:
    """Drops the connection without answering: the client sees a network error."""

    delay: float = 0.0


Reply: TypeAlias = TextReply | ToolCallsReply | ErrorReply | RawReply | HangReply | DisconnectReply
Matcher: TypeAlias = str | Callable[[JSON], Any]


def text(content: str, *, finish_reason: str = "stop", delay: float = 0.0) -> TextReply:
    """A plain assistant message (finish_reason "length" simulates truncation)."""
    return TextReply(content=content, finish_reason=finish_reason, delay=delay)


def json_reply(obj: Any, *, delay: float = 0.0) -> TextReply:
    """An assistant message whose content is ``json.dumps(obj)``."""
    return TextReply(content=json.dumps(obj), delay=delay)


def call(name: str, arguments: Mapping[str, Any] | str, id: str | None = None) -> ToolCall:
    """A tool call; pass a str to send deliberately malformed arguments."""
    encoded = arguments if isinstance(arguments, str) else json.dumps(dict(arguments))
    return ToolCall(name=name, arguments=encoded, id=id)


def tool_calls(*calls: ToolCall, content: str | None = None, delay: float = 0.0) -> ToolCallsReply:
    """An assistant message with tool calls and finish_reason "tool_calls"."""
    if not calls:
        raise ValueError("tool_calls() needs at least one call()")
    return ToolCallsReply(calls=tuple(calls), content=content, delay=delay)


def http_error(
    status: int,
    *,
    message: str | None = None,
    error_type: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    delay: float = 0.0,
) -> ErrorReply:
    """An OpenAI-style error body, e.g. ``http_error(429, headers={"Retry-After": "2"})``."""
    default_type, default_code = _ERROR_KINDS.get(status, ("api_error", None))
    return ErrorReply(
        status=status,
        message=message or _DEFAULT_MESSAGES.get(status, f"fake upstream error (HTTP {status})"),
        error_type=error_type or default_type,
        code=code or default_code,
        headers=tuple((headers or {}).items()),
        delay=delay,
    )


def raw(
    status: int, body: str, *, content_type: str = "application/json", delay: float = 0.0
) -> RawReply:
    """Any status with a verbatim body, for malformed or truncated responses."""
    return RawReply(status=status, body=body, content_type=content_type, delay=delay)


def disconnect(*, delay: float = 0.0) -> DisconnectReply:
    """Close the connection without a response, to exercise network-error handling."""
    return DisconnectReply(delay=delay)


def hang(*, delay: float = 0.0) -> HangReply:
    """Accept the request and never answer, to exercise client timeouts."""
    return HangReply(delay=delay)


# ------------------------------------------------------------------- matching
def request_text(body: Mapping[str, Any]) -> str:
    """The text a str matcher searches: message contents, model name and tool names."""
    parts = [_content_text(m.get("content")) for m in _messages(body)]
    parts.append(str(body.get("model", "")))
    parts.extend(_tool_names(body))
    return "\n".join(parts)


def _messages(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return []
    return [m for m in messages if isinstance(m, Mapping)]


def _content_text(content: Any) -> str:
    """Flatten str or multi-part content ([{"type": "text", "text": ...}, ...])."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def _tool_names(body: Mapping[str, Any]) -> list[str]:
    tools = body.get("tools")
    if not isinstance(tools, list):
        return []
    functions = (t.get("function") for t in tools if isinstance(t, Mapping))
    return [str(f.get("name", "")) for f in functions if isinstance(f, Mapping)]


def _as_predicate(match: Matcher) -> Callable[[JSON], bool]:
    if isinstance(match, str):
        needle = match
        return lambda body: needle in request_text(body)
    if callable(match):
        predicate = match
        return lambda body: bool(predicate(body))
    raise TypeError(f"match must be a str or a callable, not {type(match).__name__}")


class Script:
    """Replies handed out in order to matching requests; exhausted scripts stop matching."""

    def __init__(self, match: Matcher, replies: Iterable[Reply]) -> None:
        self.match = match
        self._predicate = _as_predicate(match)
        self._replies: deque[Reply] = deque(replies)

    @property
    def remaining(self) -> int:
        return len(self._replies)

    @property
    def exhausted(self) -> bool:
        return not self._replies

    def matches(self, body: JSON) -> bool:
        return bool(self._replies) and self._predicate(body)

    def take(self) -> Reply:
        return self._replies.popleft()

    def __repr__(self) -> str:
        return f"Script(match={self.match!r}, remaining={self.remaining})"


# ------------------------------------------------------------ default replies
def default_reply(body: Mapping[str, Any]) -> TextReply:
    """What "the model" says when no script matches, honouring response_format."""
    response_format = body.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, Mapping) else None
    if kind == "json_schema":
        spec = response_format.get("json_schema") if isinstance(response_format, Mapping) else None
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        if isinstance(schema, Mapping):
            return json_reply(sample_from_schema(schema, label="fake"))
        return json_reply(dict(DEFAULT_JSON_OBJECT))
    if kind == "json_object":
        return json_reply(dict(DEFAULT_JSON_OBJECT))
    return text(DEFAULT_TEXT)


# ------------------------------------------------------------ wire formatting
def _tokens(chars: int) -> int:
    # Rough 4-chars-per-token rule: deterministic and easy to assert against.
    return math.ceil(chars / 4)


def usage_for(body: Mapping[str, Any], reply: TextReply | ToolCallsReply) -> JSON:
    prompt_chars = sum(len(_content_text(m.get("content"))) for m in _messages(body))
    prompt, completion = _tokens(prompt_chars), _tokens(_reply_chars(reply))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _reply_chars(reply: TextReply | ToolCallsReply) -> int:
    if isinstance(reply, TextReply):
        return len(reply.content)
    return len(reply.content or "") + sum(len(c.arguments) for c in reply.calls)


def _tool_call_json(tool_call: ToolCall, index: int, response_id: str) -> JSON:
    call_id = tool_call.id or f"call_{response_id}_{index}"
    function = {"name": tool_call.name, "arguments": tool_call.arguments}
    return {"id": call_id, "type": "function", "function": function}


def _message_and_finish(reply: TextReply | ToolCallsReply, response_id: str) -> tuple[JSON, str]:
    if isinstance(reply, TextReply):
        return {"role": "assistant", "content": reply.content}, reply.finish_reason
    calls = [_tool_call_json(c, i, response_id) for i, c in enumerate(reply.calls)]
    return {"role": "assistant", "content": reply.content, "tool_calls": calls}, "tool_calls"


def completion_json(
    body: Mapping[str, Any], reply: TextReply | ToolCallsReply, response_id: str, created: int
) -> JSON:
    """A non-streaming Chat Completions response body."""
    message, finish_reason = _message_and_finish(reply, response_id)
    choice = {"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}
    return {
        "id": response_id,
        "object": "chat.completion",
        "created": created,
        "model": body.get("model", "fake-model"),
        "system_fingerprint": "fp_fake",
        "choices": [choice],
        "usage": usage_for(body, reply),
    }


def stream_chunks(
    body: Mapping[str, Any], reply: TextReply | ToolCallsReply, response_id: str, created: int
) -> Iterator[JSON]:
    """The same answer as ``completion_json`` cut into chat.completion.chunk deltas."""
    base = {
        "id": response_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": body.get("model", "fake-model"),
        "system_fingerprint": "fp_fake",
    }

    def chunk(delta: JSON, finish_reason: str | None = None) -> JSON:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return {**base, "choices": [choice]}

    message, finish_reason = _message_and_finish(reply, response_id)
    yield chunk({"role": "assistant", "content": ""})
    content = message.get("content") or ""
    for start in range(0, len(content), _STREAM_PIECE):
        yield chunk({"content": content[start : start + _STREAM_PIECE]})
    for index, tool_call in enumerate(message.get("tool_calls", [])):
        head = {**tool_call, "function": {"name": tool_call["function"]["name"], "arguments": ""}}
        yield chunk({"tool_calls": [{"index": index, **head}]})
        arguments = {"arguments": tool_call["function"]["arguments"]}
        yield chunk({"tool_calls": [{"index": index, "function": arguments}]})
    yield chunk({}, finish_reason)
    options = body.get("stream_options")
    if isinstance(options, Mapping) and options.get("include_usage"):
        yield {**base, "choices": [], "usage": usage_for(body, reply)}


def _error_body(message: str, error_type: str, code: str | None) -> JSON:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


# ------------------------------------------------------------------ embeddings
EMBEDDING_WORD = re.compile(r"\w+")


def fake_embedding(text: str, dimensions: int = 384) -> list[float]:
    """A deterministic vector for `text`, its words hashed into buckets: texts that
    share words point the same way, as a real model's would for close meanings. Not
    normalised, so a client that must normalise is seen to."""
    values = [0.0] * dimensions
    for word in EMBEDDING_WORD.findall(text.casefold()):
        digest = hashlib.sha256(word.encode()).digest()
        values[int.from_bytes(digest[:4], "big") % dimensions] += 2.0
    values[0] += 0.5  # no zero vector, even for text without words
    return values


def embeddings_json(body: Mapping[str, Any], dimensions: int) -> JSON:
    """The OpenAI `/embeddings` answer for `body`; listed out of order, as the API
    allows, so a client that does not sort by `index` is seen to."""
    texts = body.get("input")
    texts = [texts] if isinstance(texts, str) else list(texts or [])
    data = [
        {"object": "embedding", "index": index, "embedding": fake_embedding(text, dimensions)}
        for index, text in enumerate(texts)
    ]
    tokens = sum(len(str(text).split()) for text in texts)
    return {
        "object": "list",
        "data": data[::-1],
        "model": body.get("model"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


# --------------------------------------------------------------------- server
@dataclass(frozen=True)
class _Recorded:
    path: str
    headers: Mapping[str, str]
    body: JSON


class FakeLLMServer:
    """OpenAI-compatible fake on 127.0.0.1 with an OS-chosen port, in its own thread."""

    def __init__(self, *, start_timeout: float = 10.0, stop_timeout: float = 10.0) -> None:
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._lock = threading.Lock()
        self._arrivals = threading.Condition(self._lock)
        self._scripts: list[Script] = []
        self._recorded: list[_Recorded] = []
        self._embedding_requests: list[_Recorded] = []
        # What /embeddings answers: vectors of this width, or this HTTP error status.
        self.embedding_dimensions = 384
        self.embedding_failure: int | None = None
        self._latency = 0.0
        self._in_flight = 0
        self._peak_in_flight = 0
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._port: int | None = None
        self._startup_error: BaseException | None = None

    # ------------------------------------------------------------- lifecycle
    def start(self) -> FakeLLMServer:
        if self._thread is not None:
            raise RuntimeError("FakeLLMServer is already running")
        ready = threading.Event()
        self._startup_error = None
        thread = threading.Thread(
            target=self._run_thread, args=(ready,), name="fake-llm-server", daemon=True
        )
        thread.start()
        if not ready.wait(self._start_timeout) or self._startup_error is not None:
            self._thread = thread
            self.stop()
            raise RuntimeError("FakeLLMServer failed to start") from self._startup_error
        self._thread = thread
        return self

    def stop(self) -> None:
        """Stop serving and join the thread; releases hanging requests. Idempotent."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None:
            return
        if loop is not None and stopping is not None:
            # The loop may already be closing if startup failed; then there is nothing to wake.
            with suppress(RuntimeError):
                loop.call_soon_threadsafe(stopping.set)
        thread.join(self._stop_timeout)
        if thread.is_alive():
            raise RuntimeError(f"FakeLLMServer thread did not stop within {self._stop_timeout}s")
        self._thread = self._loop = self._stopping = None
        self._port = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run_thread(self, ready: threading.Event) -> None:
        # asyncio.run gives the thread a private loop and closes it (and its executor).
        asyncio.run(self._serve(ready))

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            runner = await self._open()
        except BaseException as exc:
            self._startup_error = exc
            ready.set()
            return
        ready.set()
        try:
            await self._stopping.wait()
        finally:
            await runner.cleanup()

    async def _open(self) -> web.AppRunner:
        app = web.Application()
        for prefix in ("/v1", ""):
            app.router.add_post(f"{prefix}/chat/completions", self._handle_chat)
            app.router.add_get(f"{prefix}/models", self._handle_models)
            app.router.add_post(f"{prefix}/embeddings", self._handle_embeddings)
        # Short shutdown: hanging handlers are released by _stopping before cleanup.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", 0))
            self._port = sock.getsockname()[1]
            # The site owns the socket from here on and closes it on cleanup.
            await web.SockSite(runner, sock).start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        return runner

    # ------------------------------------------------------------ properties
    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def port(self) -> int:
        if self._port is None or self._thread is None:
            raise RuntimeError("FakeLLMServer is not running; call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """OpenAI-style base URL (with /v1), for litellm's ``api_base``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def latency(self) -> float:
        return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self._latency = float(seconds)

    @property
    def requests(self) -> list[JSON]:
        """Copies of every chat request body received, oldest first."""
        return self._bodies(self._recorded)

    @property
    def request_headers(self) -> list[dict[str, str]]:
        """Headers of every chat request, parallel to ``requests`` (e.g. Authorization)."""
        return self._headers(self._recorded)

    @property
    def peak_in_flight(self) -> int:
        """The most chat requests that were being answered at once: proves parallelism
        by counts, not by the clock."""
        with self._lock:
            return self._peak_in_flight

    @property
    def pending_replies(self) -> int:
        """Scripted replies not yet consumed: assert 0 to prove a script was fully used."""
        with self._lock:
            return sum(s.remaining for s in self._scripts)

    # ------------------------------------------------------------- scripting
    def script(self, match: Matcher, *replies: Reply) -> Script:
        """Queue ``replies`` for requests that ``match``; newer scripts win over older."""
        if not replies:
            raise ValueError("script() needs at least one reply")
        new_script = Script(match, replies)
        with self._lock:
            self._scripts.append(new_script)
        return new_script

    def reset(self) -> None:
        """Forget scripts, recorded requests and latency (for session-scoped reuse)."""
        with self._lock:
            self._scripts.clear()
            self._recorded.clear()
            self._embedding_requests.clear()
            self.embedding_dimensions, self.embedding_failure = 384, None
            self._latency = 0.0
            self._peak_in_flight = self._in_flight

    def requests_matching(self, match: Matcher) -> list[JSON]:
        predicate = _as_predicate(match)
        return [body for body in self.requests if predicate(body)]

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[JSON]:
        """Block until at least ``n`` requests arrived; TimeoutError otherwise.

        Blocks the calling thread: from async code use ``wait_for_requests_async``.
        """
        with self._arrivals:
            arrived = self._arrivals.wait_for(lambda: len(self._recorded) >= n, timeout)
            count = len(self._recorded)
        if not arrived:
            raise TimeoutError(f"expected {n} request(s) within {timeout}s, got {count}")
        return self.requests

    async def wait_for_requests_async(self, n: int, seconds: float = 5.0) -> list[JSON]:
        """Like ``wait_for_requests`` but waits in a worker thread, so the caller's event
        loop keeps running (and can send the very requests being waited for)."""
        return await asyncio.to_thread(self.wait_for_requests, n, seconds)

    @property
    def embedding_requests(self) -> list[JSON]:
        """Copies of every /embeddings request body received, oldest first."""
        return self._bodies(self._embedding_requests)

    @property
    def embedding_request_headers(self) -> list[dict[str, str]]:
        return self._headers(self._embedding_requests)

    def _bodies(self, recorded: list[_Recorded]) -> list[JSON]:
        with self._lock:
            return [copy.deepcopy(r.body) for r in recorded]

    def _headers(self, recorded: list[_Recorded]) -> list[dict[str, str]]:
        with self._lock:
            return [dict(r.headers) for r in recorded]

    # -------------------------------------------------------------- handlers
    async def _handle_embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        with self._lock:
            self._embedding_requests.append(_Recorded(request.path, dict(request.headers), body))
        await self._pause(self._latency)
        if self.embedding_failure is not None:
            error = _error_body("embeddings are down", "server_error", None)
            return web.json_response(error, status=self.embedding_failure)
        return web.json_response(embeddings_json(body, self.embedding_dimensions))

    async def _handle_models(self, request: web.Request) -> web.Response:
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"} for m in MODEL_IDS]
        return web.json_response({"object": "list", "data": data})

    async def _handle_chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            error = _error_body("request body is not a JSON object", "invalid_request_error", None)
            return web.json_response(error, status=400)
        reply = self._record_and_pick(request, body)
        with self._lock:
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)
        try:
            await self._pause(self._latency + reply.delay)
            return await self._respond(request, body, reply)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _record_and_pick(self, request: web.Request, body: JSON) -> Reply:
        with self._arrivals:
            self._recorded.append(_Recorded(request.path, dict(request.headers), body))
            self._arrivals.notify_all()
            try:
                for candidate in reversed(self._scripts):
                    if candidate.matches(body):
                        return candidate.take()
            except Exception as exc:
                # Surface matcher bugs to the test as a loud 500 instead of a hung request.
                return http_error(500, message=f"fake server: matcher raised {exc!r}")
        return default_reply(body)

    async def _respond(self, request: web.Request, body: JSON, reply: Reply) -> web.StreamResponse:
        if isinstance(reply, HangReply):
            await self._hang(request)
            return web.json_response(
                _error_body("server stopped", "server_error", None), status=503
            )
        if isinstance(reply, DisconnectReply):
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)  # never reaches the client
        if isinstance(reply, ErrorReply):
            error = _error_body(reply.message, reply.error_type, reply.code)
            return web.json_response(error, status=reply.status, headers=dict(reply.headers))
        if isinstance(reply, RawReply):
            headers = {"Content-Type": reply.content_type}
            return web.Response(status=reply.status, body=reply.body.encode(), headers=headers)
        response_id = f"chatcmpl-fake-{next(self._ids)}"
        created = int(time.time())
        if body.get("stream"):
            return await self._stream(request, stream_chunks(body, reply, response_id, created))
        return web.json_response(completion_json(body, reply, response_id, created))

    async def _stream(self, request: web.Request, chunks: Iterable[JSON]) -> web.StreamResponse:
        response = web.StreamResponse(
            status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        for chunk in chunks:
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake early when the server stops so stop() never waits on latency."""
        if seconds <= 0 or self._stopping is None:
            return
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _hang(self, request: web.Request) -> None:
        # aiohttp does not cancel handlers on disconnect, so poll: a session-scoped
        # server must not pile up handlers for clients that timed out long ago.
        while self._stopping is not None and not self._stopping.is_set():
            transport = request.transport
            if transport is None or transport.is_closing():
                return
            await self._pause(_HANG_POLL_SECONDS)

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        return f"<FakeLLMServer {where} requests={len(self._recorded)}>"
