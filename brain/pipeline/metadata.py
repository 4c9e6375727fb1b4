"""Stage 2, metadata: summary, themes, tone, importance, category, tags (LLM, JSON)."""

from __future__ import annotations

import json
from typing import Any

from brain.pipeline.llm import JsonLLM
from brain.pipeline.prompts import METADATA_SCHEMA, METADATA_SYSTEM
from brain.pipeline.types import Gathered


async def generate_metadata(gathered: Gathered, llm: JsonLLM) -> dict[str, Any]:
    project = gathered.project.get("project", {})
    prompt = json.dumps(
        {
            "entityType": gathered.ref.type,
            "entity": gathered.entity,
            "project": {k: project.get(k) for k in ("name", "genre", "logline")},
            "previousSummary": (
                gathered.previous.metadata.get("summary") if gathered.previous else None
            ),
        },
        ensure_ascii=False,
        default=str,
    )
    return await llm(
        system=METADATA_SYSTEM, prompt=prompt, schema=METADATA_SCHEMA, schema_name="brain_metadata"
    )
