"""Stage 4, relationships: RELATED_TO / APPEARS_IN with a confidence (LLM, JSON); below
the threshold a link is only proposed, never stored."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from typing import Any

from brain.pipeline.llm import JsonLLM
from brain.pipeline.prompts import RELATIONSHIPS_SCHEMA, RELATIONSHIPS_SYSTEM
from brain.pipeline.types import Enriched, Gathered, Proposal


def candidates(gathered: Gathered, limit: int) -> dict[str, list[dict[str, Any]]]:
    context = gathered.project
    # The first `limit` of each, read without walking the rest of a large project.
    return {
        "characters": [
            {"id": c["id"], "name": c["name"], "role": c.get("role", "")}
            for c in itertools.islice(context.get("characters", []), limit)
        ],
        "scenes": [
            {
                "id": s["id"],
                "episode": s.get("episode"),
                "scene": s.get("number"),
                "title": s.get("title", ""),
                "characters": [a["character"] for a in s.get("characters", [])],
            }
            for s in itertools.islice(context.get("scenes", []), limit)
        ],
    }


async def discover_relationships(
    gathered: Gathered,
    enriched: Enriched,
    llm: JsonLLM,
    threshold: float,
    limit: int = 40,
) -> tuple[list[Proposal], list[Proposal]]:
    """(accepted, proposed): links at or above the confidence threshold, and the rest."""
    prompt = json.dumps(
        {
            "subject": {
                "id": gathered.ref.id,
                "type": gathered.ref.type,
                "name": gathered.entity.get("name"),
                "summary": enriched.metadata["summary"],
            },
            "text": enriched.text,
            "existing": [
                {"kind": e.type, "from": e.source, "to": e.target, **e.properties}
                for e in gathered.graph.edges_of(gathered.ref.id)
            ],
            "candidates": candidates(gathered, limit),
        },
        ensure_ascii=False,
        default=str,
    )
    answer = await llm(
        system=RELATIONSHIPS_SYSTEM,
        prompt=prompt,
        schema=RELATIONSHIPS_SCHEMA,
        schema_name="brain_relationships",
    )
    proposals = [to_proposal(item) for item in answer.get("relationships", [])]
    accepted = [p for p in proposals if p.confidence >= threshold]
    return accepted, [p for p in proposals if p.confidence < threshold]


def to_proposal(item: Mapping[str, Any]) -> Proposal:
    kind = str(item.get("kind", ""))
    return Proposal(
        kind=kind,
        source=str(item.get("from", "")).strip(),
        target=str(item.get("to", "")).strip(),
        type=str(item.get("type") or "").strip().casefold(),
        role=str(item.get("role") or "").strip().casefold(),
        strength=float(item.get("strength", 0.5)),
        confidence=float(item.get("confidence", 0)),
        reason=str(item.get("reason") or "").strip(),
    )
