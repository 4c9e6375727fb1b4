"""The run: chain the six stages, time each one and report it through the callback."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from brain.embeddings import Embedder
from brain.graph.base import GraphBackend, GraphError
from brain.pipeline.context import gather_context
from brain.pipeline.document import store_document
from brain.pipeline.enrichment import enrich
from brain.pipeline.llm import JsonLLM
from brain.pipeline.metadata import generate_metadata
from brain.pipeline.relationships import discover_relationships
from brain.pipeline.types import (
    EntityRef,
    EventCallback,
    PipelineConfig,
    PipelineError,
    PipelineResult,
)
from brain.pipeline.validation import draft_document, validate, vet_links
from engine.errors import AladdinError

STAGES = ("context", "metadata", "enrichment", "relationships", "validation", "document")


async def run_pipeline(
    ref: EntityRef,
    *,
    llm: JsonLLM,
    backend: GraphBackend,
    embedder: Embedder,
    on_event: EventCallback | None = None,
    config: PipelineConfig | None = None,
    writes: asyncio.Lock | None = None,
) -> PipelineResult:
    """`writes`, shared by pipelines running side by side, makes their stage 6 go one at
    a time (two entities may link to each other)."""
    config = config or PipelineConfig()
    result = PipelineResult(status="failed", entity=ref)
    try:
        async with stage(result, on_event, "context"):
            gathered = await gather_context(ref, backend)
        async with stage(result, on_event, "metadata"):
            metadata = await generate_metadata(gathered, llm)
        async with stage(result, on_event, "enrichment"):
            enriched = await enrich(gathered, metadata, embedder)
        result.embedding, result.embedding_model = enriched.embedding, embedder.name
        async with stage(result, on_event, "relationships"):
            result.accepted, result.proposed = await discover_relationships(
                gathered, enriched, llm, config.relationship_threshold, config.max_candidates
            )
        async with stage(result, on_event, "validation"):
            result.accepted, result.dropped = await vet_links(result.accepted, gathered)
            draft = draft_document(gathered, enriched, result.accepted)
            result.problems = await validate(draft, gathered, embedder, config)
        if result.problems:
            result.status = "rejected"
        else:
            async with writes or contextlib.nullcontext(), stage(result, on_event, "document"):
                result.document = await store_document(draft, result.accepted, backend)
            result.status = "stored"
    except (PipelineError, AladdinError, GraphError) as exc:
        result.problems.append(str(exc))
    await emit(
        on_event,
        "brain-storage",
        {
            "success": result.ok,
            "entities": (1 + len(result.accepted)) if result.ok else 0,
            "entityType": ref.type,
            "entityId": ref.id,
            "status": result.status,
            "problems": result.problems,
            "proposed": [p.as_dict() for p in result.proposed],
            "dropped": result.dropped,
        },
    )
    return result


async def emit(on_event: EventCallback | None, type_: str, payload: dict[str, Any]) -> None:
    if on_event is not None:
        await on_event(type_, payload)


@asynccontextmanager
async def stage(
    result: PipelineResult, on_event: EventCallback | None, name: str
) -> AsyncIterator[None]:
    """Time one stage and report it, whether it finishes or fails."""
    started = time.perf_counter()
    error = ""
    try:
        yield
    except Exception as exc:
        error = str(exc) or type(exc).__name__
        raise
    finally:
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        result.timings[name] = elapsed
        await emit(
            on_event,
            "brain-pipeline-stage",
            {
                "stage": STAGES.index(name) + 1,
                "name": name,
                "durationMs": elapsed,
                "ok": not error,
                "error": error,
                "entityType": result.entity.type,
                "entityId": result.entity.id,
            },
        )
