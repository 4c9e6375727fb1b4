"""What the stages ask the LLM: system prompts and the JSON schemas the answers match."""

from __future__ import annotations

from typing import Any

from brain.graph.base import APPEARS_IN, RELATED_TO

# ------------------------------------------------------------- 2 metadata generation
METADATA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "themes": {"type": "array", "items": {"type": "string"}, "maxItems": 8},
        "tone": {"type": "string"},
        "importance": {"type": "number", "minimum": 0, "maximum": 1},
        "category": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 12},
    },
    "required": ["summary", "themes", "tone", "importance", "category", "tags"],
    "additionalProperties": False,
}
METADATA_SYSTEM = (
    "You write brain metadata for a film and series production's knowledge base. Given one "
    "story entity and its project, answer with: a two-sentence summary, up to 8 key themes, "
    "the tone in a word or two, importance to the story from 0 to 1, a category, and up to "
    "12 search tags. Use only what the entity and the project say."
)


# ---------------------------------------------------------- 4 relationship discovery
RELATIONSHIPS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "relationships": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": {"enum": [RELATED_TO, APPEARS_IN]},
                    "from": {"type": "string"},
                    "to": {"type": "string"},
                    "type": {"type": "string"},
                    "role": {"type": "string"},
                    "strength": {"type": "number", "minimum": 0, "maximum": 1},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    "reason": {"type": "string"},
                },
                "required": [
                    "kind",
                    "from",
                    "to",
                    "type",
                    "role",
                    "strength",
                    "confidence",
                    "reason",
                ],
                "additionalProperties": False,
            },
        }
    },
    "required": ["relationships"],
    "additionalProperties": False,
}
RELATIONSHIPS_SYSTEM = (
    "You do relationship discovery for a film and series knowledge graph. Propose links "
    "that involve the subject: RELATED_TO between two characters (type such as ally, enemy, "
    "mentor, sibling, rival; strength 0-1) and APPEARS_IN from a character to a scene (role "
    "such as lead, supporting, cameo). Use only ids from the candidates. Give each link your "
    "confidence from 0 to 1 and a short reason. Leave type or role empty where it does not "
    "apply. Propose nothing you cannot support from the text."
)
