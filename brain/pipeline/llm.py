"""The LLM port the stages call, and its adapter over our real LLM path."""

from __future__ import annotations

from typing import Any, Protocol

from brain.pipeline.types import PipelineError
from engine.budgets import ROLE_LIMITS, TokenLimits
from engine.gateway import CallBudget, Gateway
from engine.ports import LLMRequest
from engine.runtime import parse_structured


class JsonLLM(Protocol):
    """Answers one prompt with a JSON object matching `schema`."""

    async def __call__(
        self, *, system: str, prompt: str, schema: dict[str, Any], schema_name: str
    ) -> dict[str, Any]: ...


def gateway_llm(
    gateway: Gateway, model: str, *, limits: TokenLimits = ROLE_LIMITS["specialist"]
) -> JsonLLM:
    """A JsonLLM over our real LLM path (Gateway -> LitellmClient): retries, breaker,
    token limits and cost accounting all apply."""

    async def complete(
        *, system: str, prompt: str, schema: dict[str, Any], schema_name: str
    ) -> dict[str, Any]:
        request = LLMRequest(
            model=model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": prompt}],
            max_tokens=limits.max_output,
            response_schema=schema,
            schema_name=schema_name,
        )
        reply = await gateway.complete(request, CallBudget(limits=limits))
        parsed, problem = parse_structured(reply.response.content or "", schema)
        if problem is not None:
            raise PipelineError(f"The model's {schema_name} answer was unusable: {problem}")
        return dict(parsed)

    return complete
