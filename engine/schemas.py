"""JSON Schemas for the orchestration's structured LLM outputs.

Written in the strict subset providers enforce (every key required,
additionalProperties false) so a provider or local model can be constrained
to the shape; the runtime validates every reply against them anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

STRING = {"type": "string"}
STRINGS = {"type": "array", "items": STRING}
FRACTION = {"type": "number", "minimum": 0, "maximum": 1}
SCORE = {"type": "number", "minimum": 0, "maximum": 100}


def strict_object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def plan_schema(departments: Sequence[str]) -> dict[str, Any]:
    """The master orchestrator's analysis: which departments, how relevant, what task."""
    return strict_object(
        {
            "intent": STRING,
            "complexity": {"enum": ["simple", "medium", "complex"]},
            "departments": {
                "type": "array",
                "items": strict_object(
                    {
                        "department": {"enum": list(departments)},
                        "relevance": FRACTION,
                        "task": STRING,
                        "reasoning": STRING,
                    }
                ),
            },
        }
    )


def selection_schema(specialists: Sequence[str]) -> dict[str, Any]:
    """A department head's relevance check and choice of specialists."""
    return strict_object(
        {
            "relevance": FRACTION,
            "approach": STRING,
            "specialists": {
                "type": "array",
                "items": strict_object({"agentId": {"enum": list(specialists)}, "task": STRING}),
            },
        }
    )


ENTITY_SCHEMA = strict_object(
    {
        "type": {"enum": ["character", "scene", "episode", "note"]},
        "name": STRING,
        "description": STRING,
        "traits": STRINGS,
        "relatedTo": {
            "type": "array",
            "items": strict_object({"name": STRING, "type": STRING, "strength": FRACTION}),
        },
    }
)

SPECIALIST_SCHEMA = strict_object(
    {
        "summary": STRING,
        "content": STRING,
        "details": {
            "type": "array",
            "items": strict_object({"label": STRING, "value": STRING}),
        },
        "entities": {"type": "array", "items": ENTITY_SCHEMA},
        "openQuestions": STRINGS,
    }
)

SYNTHESIS_SCHEMA = strict_object(
    {
        "summary": STRING,
        "report": STRING,
        "entities": {"type": "array", "items": ENTITY_SCHEMA},
        "conflictsResolved": STRINGS,
        "openIssues": STRINGS,
    }
)

VALIDATION_SCHEMA = strict_object(
    {
        "consistencyScore": SCORE,
        "completenessScore": SCORE,
        "issues": STRINGS,
        "summary": STRING,
    }
)
