"""The built-in demo model `aladdin/demo`: schema-valid placeholder answers, no network.

It lets a new install show the whole product working with no API key. Every
answer is labelled as demo output; it is only ever the default model, never
used when a real model is configured.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from engine.schema_sample import sample_from_schema

DEMO_PROVIDER = "aladdin"
DEMO_TEXT = (
    "[demo output] This answer comes from Aladdin's built-in demo model, not a real LLM. "
    "Set ALADDIN_DEFAULT_MODEL and ALADDIN_LLM_API_KEY to use a real provider."
)


# Words that make the demo plan pick a department, so a demo run looks like a real one.
DEPARTMENT_WORDS = {
    "story": ("story", "plot", "episode", "scene", "dialogue", "script", "arc", "outline"),
    "character": (
        "character",
        "villain",
        "hero",
        "protagonist",
        "antagonist",
        "cast",
        "relationship",
        "backstory",
    ),
    "visual": ("visual", "look", "colour", "color", "palette", "design", "costume", "art"),
    "video": ("video", "edit", "cut", "shot", "trailer", "montage"),
    "audio": ("audio", "sound", "music", "score", "voice", "foley"),
    "production": ("budget", "schedule", "cost", "crew", "production", "deadline"),
}


def demo_content(
    optional_params: dict[str, Any], messages: list[dict[str, Any]] | None = None
) -> str:
    response_format = optional_params.get("response_format") or {}
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema", {})
        value = sample_from_schema(spec.get("schema", {}), label="demo")
        request = _request_text(messages or [])
        if spec.get("name") == "execution_plan":
            value = _demo_plan(value, spec["schema"], request)
        elif spec.get("name") == "specialist_selection":
            value = _demo_selection(value, spec["schema"])
        return json.dumps(value)
    return DEMO_TEXT


def _request_text(messages: list[dict[str, Any]]) -> str:
    return " ".join(str(m.get("content") or "") for m in messages if m.get("role") == "user")


def _demo_plan(value: dict[str, Any], schema: dict[str, Any], request: str) -> dict[str, Any]:
    """Departments whose words appear in the request (story and character if none do)."""
    slugs = schema["properties"]["departments"]["items"]["properties"]["department"]["enum"]
    first_line = request.split("Departments:")[0].lower()
    chosen = [s for s in slugs if any(w in first_line for w in DEPARTMENT_WORDS.get(s, ()))]
    chosen = chosen[:3] or [s for s in ("story", "character") if s in slugs] or slugs[:1]
    template = value["departments"][0]
    value["departments"] = [
        {
            **template,
            "department": slug,
            "relevance": round(0.9 - 0.1 * i, 2),
            "task": f"[demo] {slug} work for this request",
        }
        for i, slug in enumerate(chosen)
    ]
    return value


def _demo_selection(value: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The first two specialists, so the demo shows specialists working in parallel."""
    ids = schema["properties"]["specialists"]["items"]["properties"]["agentId"]["enum"]
    template = value["specialists"][0]
    value["specialists"] = [
        {**template, "agentId": agent_id, "task": f"[demo] task for {agent_id}"}
        for agent_id in ids[:2]
    ]
    return value


def estimate(text: str) -> int:
    return max(1, len(text) // 4)


def register_demo_provider(litellm: Any) -> None:
    """Add the demo provider to litellm's custom providers (once per process)."""
    if any(item.get("provider") == DEMO_PROVIDER for item in litellm.custom_provider_map):
        return
    from litellm import CustomLLM, ModelResponse

    class DemoLLM(CustomLLM):  # type: ignore[misc]
        async def acompletion(self, *args: Any, **kwargs: Any) -> Any:
            return self.completion(*args, **kwargs)

        def completion(self, *args: Any, **kwargs: Any) -> Any:
            messages = kwargs.get("messages") or []
            content = demo_content(kwargs.get("optional_params") or {}, messages)
            prompt = sum(estimate(str(m.get("content") or "")) for m in messages)
            completion = estimate(content)
            return ModelResponse(
                id=f"demo-{uuid.uuid4().hex[:12]}",
                created=int(time.time()),
                model="aladdin/demo",
                choices=[
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content},
                    }
                ],
                usage={
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            )

    litellm.custom_provider_map = [
        *litellm.custom_provider_map,
        {"provider": DEMO_PROVIDER, "custom_handler": DemoLLM()},
    ]
