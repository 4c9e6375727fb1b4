"""The OpenAI chat-completions options both LLM clients send (litellm and the fast path)."""

from __future__ import annotations

from typing import Any

from engine.ports import LLMRequest


def openai_options(request: LLMRequest) -> dict[str, Any]:
    """Temperature, JSON-schema response format and tools, as OpenAI spells them."""
    options: dict[str, Any] = {}
    if request.temperature is not None:
        options["temperature"] = request.temperature
    if request.response_schema is not None:
        options["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": request.schema_name, "schema": request.response_schema},
        }
    if request.tools:
        options["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.input_schema,
                },
            }
            for tool in request.tools
        ]
    return options
