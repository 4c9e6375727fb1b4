"""The LLM port the stages call, its adapter over our real LLM path, and an offline
stand-in that answers from the entity's own canon (for seeding, with no model)."""

from __future__ import annotations

import json
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


def canon_llm() -> JsonLLM:
    """Answers the pipeline's two questions from the entity itself, without a model:
    metadata from its own fields (summary from its description, themes from its traits
    or the project's genre, tags from its name), and no new relationships (canon's own
    are already in the graph). For documents made from seeded canon."""

    async def complete(
        *, system: str, prompt: str, schema: dict[str, Any], schema_name: str
    ) -> dict[str, Any]:
        if "relationships" in schema.get("properties", {}):
            return {"relationships": []}
        asked = json.loads(prompt)
        return _canon_metadata(asked.get("entityType", ""), asked.get("entity") or {}, asked)

    return complete


def _canon_metadata(kind: str, entity: dict[str, Any], asked: dict[str, Any]) -> dict[str, Any]:
    name = str(entity.get("name") or "")
    text = " ".join(
        str(entity.get(key) or "")
        for key in ("logline", "description", "synopsis", "summary", "backstory")
    ).strip()
    genre = str((asked.get("project") or {}).get("genre") or "")
    traits = [str(t) for t in entity.get("traits") or []]
    return {
        "summary": (text or f"{kind.title()} {name}.")[:400],
        "themes": (traits or ([genre] if genre else [kind]))[:8],
        "tone": "canon",
        "importance": 0.5,
        "category": kind,
        "tags": [*[w for w in name.replace(",", " ").split() if len(w) > 2][:11], kind],
    }
