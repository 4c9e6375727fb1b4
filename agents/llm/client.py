"""LitellmClient: one chat completion through litellm, for the engine's Gateway.

litellm is imported on first use: importing it costs about 5 s and 176 MB,
which manage.py commands and most tests should not pay.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings

from agents.llm.demo import DEMO_PROVIDER, register_demo_provider
from agents.llm.errors import classify
from agents.llm.payload import openai_options
from engine.ports import LLMRequest, LLMResponse, ToolCallRequest

_litellm: Any = None
_import_lock = threading.Lock()


def litellm_module() -> Any:
    global _litellm
    if _litellm is None:
        with _import_lock:
            if _litellm is None:
                os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
                import litellm

                litellm.telemetry = False
                litellm.suppress_debug_info = True
                register_demo_provider(litellm)
                _litellm = litellm
    return _litellm


def litellm_needed_at_start() -> bool:
    """Whether the site's default model goes through litellm. Not when the fast path
    serves it (agents/llm/openai_fast.py): then litellm (about 1.7 s and 170 MB) is
    imported only if an agent uses another provider."""
    from agents.llm.openai_fast import handles

    fast = settings.ALADDIN_LLM_CLIENT == "fast" and handles(settings.ALADDIN_DEFAULT_MODEL)
    return not fast


def _import_pending() -> bool:
    return _litellm is None and litellm_needed_at_start()


def warm_up_blocking() -> None:
    """Import litellm now if the default model needs it."""
    if _import_pending():
        litellm_module()


async def warm_up() -> None:
    """The same in a worker thread, so the import never blocks the loop."""
    if _import_pending():
        await asyncio.to_thread(litellm_module)


def warm_up_in_background(then: Callable[[], None] | None = None) -> None:
    """For servers: import litellm at boot when the default model needs it, instead
    of on the first request, and run `then` once that is done."""

    def warm_up_then() -> None:
        warm_up_blocking()
        if then is not None:
            then()

    threading.Thread(target=warm_up_then, name="litellm-import", daemon=True).start()


def is_demo(model: str) -> bool:
    return model.startswith(f"{DEMO_PROVIDER}/")


class LitellmClient:
    """Implements engine.ports.LLMClient. Retries are the Gateway's job, so litellm's
    own (and the OpenAI SDK's) are turned off here."""

    def __init__(
        self,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.api_base = api_base if api_base is not None else settings.ALADDIN_LLM_API_BASE
        self.api_key = api_key if api_key is not None else settings.ALADDIN_LLM_API_KEY
        self.timeout = timeout if timeout is not None else settings.ALADDIN_LLM_TIMEOUT

    async def complete(self, request: LLMRequest) -> LLMResponse:
        litellm = litellm_module()
        try:
            response = await litellm.acompletion(**self.arguments(request))
        except Exception as exc:
            raise classify(exc, request.model) from exc
        return self.parse(response, request.model)

    def arguments(self, request: LLMRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": request.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "timeout": self.timeout,
            "num_retries": 0,
            "max_retries": 0,
        }
        arguments.update(openai_options(request))
        if not is_demo(request.model):
            if self.api_base:
                arguments["api_base"] = self.api_base
            if self.api_key:
                arguments["api_key"] = self.api_key
        if request.agent_id:
            arguments["user"] = request.agent_id
        return arguments

    def parse(self, response: Any, model: str) -> LLMResponse:
        message = response.choices[0].message
        calls = tuple(
            ToolCallRequest(
                id=call.id or f"call_{index}",
                name=call.function.name or "",
                arguments=call.function.arguments or "",
            )
            for index, call in enumerate(getattr(message, "tool_calls", None) or [])
        )
        usage = getattr(response, "usage", None)
        input_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        output_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        return LLMResponse(
            content=message.content,
            tool_calls=calls,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost=LitellmCosts().actual(model, input_tokens, output_tokens),
            model=model,
        )


class LitellmCosts:
    """Prices from litellm's own cost tables; None when a model's price is unknown."""

    def estimate(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        return self.actual(model, input_tokens, output_tokens)

    def actual(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        if is_demo(model):
            return 0.0
        litellm = litellm_module()
        try:
            prompt_cost, completion_cost = litellm.cost_per_token(
                model=model, prompt_tokens=input_tokens, completion_tokens=output_tokens
            )
        except Exception:  # litellm raises for models missing from its table
            return None
        return float(prompt_cost) + float(completion_cost)
