"""The fast path for OpenAI-compatible endpoints: one pooled aiohttp session per event loop.

OpenAI, OpenRouter, vLLM, Ollama and llama.cpp all speak the Chat Completions wire
format, so for models written `openai/...` or `openrouter/...` a plain POST does what
litellm does, at a fraction of its CPU per call (litellm builds its request through
the openai SDK and runs logging callbacks on every call), and without importing
litellm at all (about 1.7 s and 170 MB). Every other provider, and the demo model,
goes through litellm (`fallback`). `ALADDIN_LLM_CLIENT` chooses: `fast` (the default)
or `litellm` for everything.

Prices still come from litellm's cost table: the JSON file that ships inside the
litellm package is read once (`TableCosts`), with the same "unknown model, unknown
cost" rule as `LitellmCosts`. Tiered prices (above 128k or 200k input tokens) are not
applied, as the engine never sends that much.

Errors are raised as exceptions named like litellm's (`RateLimitError`, ...) with
`status_code` and the response headers, so `agents.llm.errors.classify` treats both
paths alike: the same gateway tests run against both.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
from django.conf import settings

from agents.llm.errors import classify
from agents.llm.payload import openai_options
from aladdin.pooled_http import pooled_session
from engine import jsontext
from engine.ports import LLMClient, LLMRequest, LLMResponse, ToolCallRequest

# Provider prefix -> (default base URL, environment variable litellm reads the key from).
PROVIDERS: Mapping[str, tuple[str, str]] = {
    "openai": ("https://api.openai.com/v1", "OPENAI_API_KEY"),
    "openrouter": ("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
}
_STATUS_ERRORS: Mapping[int, str] = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    408: "APITimeoutError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
}
_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})


def build_client(api_key: str | None = None) -> LLMClient:
    """The client `ALADDIN_LLM_CLIENT` chooses; `api_key` is a project's own key."""
    from agents.llm.client import LitellmClient

    litellm_client = LitellmClient(api_key=api_key)
    if settings.ALADDIN_LLM_CLIENT == "litellm":
        return litellm_client
    return OpenAIFastClient(
        litellm_client,
        api_base=litellm_client.api_base,
        api_key=litellm_client.api_key,
        timeout=litellm_client.timeout,
    )


def build_costs() -> Any:
    """Prices for the gateway's estimates: litellm's table, read without litellm when
    the fast path is on."""
    from agents.llm.client import LitellmCosts

    return LitellmCosts() if settings.ALADDIN_LLM_CLIENT == "litellm" else TableCosts()


def handles(model: str) -> bool:
    """Models the fast path sends itself: `openai/...` and `openrouter/...`."""
    provider, _, name = model.partition("/")
    return bool(name) and provider in PROVIDERS


# ------------------------------------------------------------------ errors
class FastPathError(Exception):
    """An HTTP or transport failure; subclasses carry litellm's class names."""

    def __init__(self, message: str, status_code: int | None = None, headers: Any = None):
        super().__init__(message)
        self.status_code = status_code
        self.headers = headers if headers is not None else {}


def _error_class(name: str) -> type[FastPathError]:
    return type(name, (FastPathError,), {})


_ERRORS = {name: _error_class(name) for name in {*_STATUS_ERRORS.values()}}
_ERRORS.update(
    {
        name: _error_class(name)
        for name in ("ContextWindowExceededError", "InternalServerError", "APIConnectionError")
    }
)


def http_error(status: int, body: Any, headers: Any) -> FastPathError:
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    message = str(error.get("message") or body or f"HTTP {status}")
    name = _STATUS_ERRORS.get(status, "InternalServerError" if status >= 500 else "BadRequestError")
    if status == 400 and str(error.get("code")) in _CONTEXT_CODES:
        name = "ContextWindowExceededError"
    return _ERRORS[name](f"Error code: {status} - {message}", status, headers)


# ------------------------------------------------------------------ pricing
Prices = tuple[Any, Any]  # (input_cost_per_token, output_cost_per_token), either may be None


class TableCosts:
    """USD from litellm's bundled cost table, read without importing litellm. Only the
    two prices of each model are kept: the whole table held about 5 MB per process."""

    _table: dict[str, Prices] | None = None
    _lock = threading.Lock()

    @classmethod
    def table(cls) -> dict[str, Prices]:
        if cls._table is None:
            with cls._lock:
                if cls._table is None:
                    cls._table = _load_cost_table()
        return cls._table

    def estimate(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        return self.actual(model, input_tokens, output_tokens)

    def actual(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        if model.startswith("aladdin/"):  # the demo model is free
            return 0.0
        provider, _, name = model.partition("/")
        table = self.table()
        entry = table.get(model) or (table.get(name) if provider == "openai" else None)
        if entry is None:
            return None
        prompt_price, completion_price = entry
        if prompt_price is None or completion_price is None:
            return None
        return float(prompt_price) * input_tokens + float(completion_price) * output_tokens


def _load_cost_table() -> dict[str, Prices]:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations)))
    path /= "model_prices_and_context_window_backup.json"
    try:
        table: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {
        model: (entry.get("input_cost_per_token"), entry.get("output_cost_per_token"))
        for model, entry in table.items()
        if isinstance(entry, dict) and entry  # an empty entry counted as none
    }


# ------------------------------------------------------------------ the client
class OpenAIFastClient:
    """Implements engine.ports.LLMClient; see the module docstring."""

    def __init__(
        self,
        fallback: LLMClient,
        *,
        api_base: str | None,
        api_key: str | None,
        timeout: float,
    ) -> None:
        self.fallback = fallback
        self.api_base = api_base
        self.api_key = api_key
        self.timeout = timeout
        self.costs = TableCosts()

    async def complete(self, request: LLMRequest) -> LLMResponse:
        if not handles(request.model):
            return await self.fallback.complete(request)
        try:
            reply = await self._post(request)
        except Exception as exc:
            raise classify(exc, request.model) from exc
        return self.parse(reply, request.model)

    def endpoint(self, model: str) -> tuple[str, dict[str, str]]:
        provider = model.partition("/")[0]
        default_base, key_variable = PROVIDERS[provider]
        base = (self.api_base or default_base).rstrip("/")
        key = self.api_key or os.environ.get(key_variable, "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return f"{base}/chat/completions", headers

    async def _post(self, request: LLMRequest) -> dict[str, Any]:
        url, headers = self.endpoint(request.model)
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            session = await pooled_session()
            payload = jsontext.dumps_bytes(body(request))
            headers = {**headers, "Content-Type": "application/json"}
            async with session.post(
                url, data=payload, headers=headers, timeout=timeout
            ) as response:
                text = await response.text()
                data = _json_or_text(text)
                if response.status >= 400:
                    raise http_error(response.status, data, response.headers)
        except TimeoutError as exc:
            raise _ERRORS["APITimeoutError"](f"Request timed out after {self.timeout} s") from exc
        except aiohttp.ClientError as exc:
            raise _ERRORS["APIConnectionError"](f"Connection error: {exc}") from exc
        if not isinstance(data, dict) or not data.get("choices"):
            raise _ERRORS["InternalServerError"](f"Not a chat completion: {text[:200]}", 502)
        return data

    def parse(self, reply: dict[str, Any], model: str) -> LLMResponse:
        message = reply["choices"][0].get("message") or {}
        calls = tuple(
            ToolCallRequest(
                id=call.get("id") or f"call_{index}",
                name=(call.get("function") or {}).get("name") or "",
                arguments=(call.get("function") or {}).get("arguments") or "",
            )
            for index, call in enumerate(message.get("tool_calls") or [])
        )
        usage = reply.get("usage") or {}
        input_tokens = int(usage.get("prompt_tokens") or 0)
        output_tokens = int(usage.get("completion_tokens") or 0)
        return LLMResponse(
            content=message.get("content"),
            tool_calls=calls,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost=self.costs.actual(model, input_tokens, output_tokens),
            model=model,
        )


def body(request: LLMRequest) -> dict[str, Any]:
    """The Chat Completions request, as litellm would send it for the same request."""
    payload: dict[str, Any] = {
        "model": request.model.partition("/")[2],
        "messages": request.messages,
        "max_tokens": request.max_tokens,
    }
    payload.update(openai_options(request))
    if request.agent_id:
        payload["user"] = request.agent_id
    return payload


def _json_or_text(text: str) -> Any:
    try:
        return jsontext.loads(text)
    except ValueError:
        return text
