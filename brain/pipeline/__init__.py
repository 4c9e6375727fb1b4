"""The data preparation pipeline of spec 3.2: one story entity in, one brain document out.

    1 context gathering   the row (database), its neighbours (graph), the project (cache)
    2 metadata            summary, themes, tone, importance, category, tags (LLM, JSON)
    3 enrichment          standardised fields, inferred gaps, linked entities, embedding
    4 relationships       RELATED_TO / APPEARS_IN with a confidence (LLM, JSON); below the
                          threshold a link is only proposed, never stored
    5 validation          required fields, types, endpoints, no BELONGS_TO/PART_OF cycle,
                          quality threshold; any failure stops here with its reasons,
                          before anything is written
    6 brain document      {id, type, project_id, text, metadata, relationships}: accepted
                          links to the database, then links + document to the graph in
                          one transaction

Plain async functions; the collaborators (a JSON-answering LLM, the graph backend, the
embedder, an event callback) are arguments. Every stage is timed and reported.

One module per concern: `types` (what the stages hand each other and the result),
`llm` (the LLM port and its Gateway adapter), `prompts` (system prompts and answer
schemas), one module per stage, and `runner`, which chains and times them. This package
re-exports their public names.
"""

from __future__ import annotations

from brain.pipeline.context import (
    character_entity,
    episode_entity,
    gather_context,
    load_entity,
    project_entity,
    scene_entity,
)
from brain.pipeline.document import store_document, write_links
from brain.pipeline.enrichment import (
    document_text,
    enrich,
    entity_text,
    linked_entities,
    standard_metadata,
    standard_terms,
)
from brain.pipeline.llm import JsonLLM, canon_llm, gateway_llm
from brain.pipeline.metadata import generate_metadata
from brain.pipeline.prompts import (
    METADATA_SCHEMA,
    METADATA_SYSTEM,
    RELATIONSHIPS_SCHEMA,
    RELATIONSHIPS_SYSTEM,
)
from brain.pipeline.relationships import candidates, discover_relationships, to_proposal
from brain.pipeline.runner import STAGES, emit, run_pipeline, stage
from brain.pipeline.types import (
    Enriched,
    EntityRef,
    EventCallback,
    Gathered,
    PipelineConfig,
    PipelineError,
    PipelineResult,
    Proposal,
)
from brain.pipeline.validation import (
    document_quality,
    draft_document,
    field_types,
    find_cycle,
    link_problems,
    project_entities,
    required_fields,
    validate,
    vet_links,
)

__all__ = [
    "METADATA_SCHEMA",
    "METADATA_SYSTEM",
    "RELATIONSHIPS_SCHEMA",
    "RELATIONSHIPS_SYSTEM",
    "STAGES",
    "Enriched",
    "EntityRef",
    "EventCallback",
    "Gathered",
    "JsonLLM",
    "PipelineConfig",
    "PipelineError",
    "PipelineResult",
    "Proposal",
    "candidates",
    "canon_llm",
    "character_entity",
    "discover_relationships",
    "document_quality",
    "document_text",
    "draft_document",
    "emit",
    "enrich",
    "entity_text",
    "episode_entity",
    "field_types",
    "find_cycle",
    "gateway_llm",
    "gather_context",
    "generate_metadata",
    "link_problems",
    "linked_entities",
    "load_entity",
    "project_entities",
    "project_entity",
    "required_fields",
    "run_pipeline",
    "scene_entity",
    "stage",
    "standard_metadata",
    "standard_terms",
    "store_document",
    "to_proposal",
    "validate",
    "vet_links",
    "write_links",
]
