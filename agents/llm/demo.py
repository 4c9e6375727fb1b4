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


def demo_content(optional_params: dict[str, Any]) -> str:
    response_format = optional_params.get("response_format") or {}
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        schema = response_format.get("json_schema", {}).get("schema", {})
        return json.dumps(sample_from_schema(schema, label="demo"))
    return DEMO_TEXT


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
            content = demo_content(kwargs.get("optional_params") or {})
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
