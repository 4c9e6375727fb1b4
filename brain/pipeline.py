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
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from asgiref.sync import sync_to_async
from django.db import transaction

from brain.context import load_project_context
from brain.embeddings import Embedder
from brain.graph.base import (
    APPEARS_IN,
    BELONGS_TO,
    DOCUMENT_TYPES,
    PART_OF,
    RELATED_TO,
    Document,
    Edge,
    GraphBackend,
    GraphError,
    Plan,
    Snapshot,
)
from brain.models import Character, CharacterRelationship, Episode, Project, Scene, SceneAppearance
from engine.budgets import ROLE_LIMITS, TokenLimits
from engine.errors import AladdinError
from engine.gateway import CallBudget, Gateway
from engine.ports import LLMRequest
from engine.runtime import parse_structured

EventCallback = Callable[[str, dict[str, Any]], Awaitable[None]]
STAGES = ("context", "metadata", "enrichment", "relationships", "validation", "document")


class JsonLLM(Protocol):
    """Answers one prompt with a JSON object matching `schema`."""

    async def __call__(
        self, *, system: str, prompt: str, schema: dict[str, Any], schema_name: str
    ) -> dict[str, Any]: ...


class PipelineError(Exception):
    """A stage could not finish; the message says why."""


@dataclass(frozen=True)
class PipelineConfig:
    relationship_threshold: float = 0.7  # confidence at which a discovered link is stored
    quality_threshold: float = 0.6  # share of quality checks a document must pass
    max_candidates: int = 40  # per kind, in the discovery prompt (spec 7.2 pruning)


@dataclass(frozen=True)
class EntityRef:
    type: str  # "project" | "episode" | "scene" | "character"
    id: str  # the row's uid, which is also the graph node id


@dataclass
class Gathered:
    ref: EntityRef
    entity: dict[str, Any]
    project_pk: int
    project_uid: str
    project: dict[str, Any]
    graph: Snapshot
    previous: Document | None


@dataclass
class Enriched:
    text: str
    metadata: dict[str, Any]
    embedding: list[float]


@dataclass(frozen=True)
class Proposal:
    kind: str
    source: str
    target: str
    type: str
    role: str
    strength: float
    confidence: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "from": self.source,
            "to": self.target,
            "confidence": self.confidence,
        }
        if self.kind == RELATED_TO:
            data.update(type=self.type, strength=self.strength)
        else:
            data["role"] = self.role
        return data


@dataclass
class PipelineResult:
    status: str  # "stored" | "rejected" (validation) | "failed" (a stage broke)
    entity: EntityRef
    document: Document | None = None
    accepted: list[Proposal] = field(default_factory=list)
    proposed: list[Proposal] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> milliseconds

    @property
    def ok(self) -> bool:
        return self.status == "stored"


# ------------------------------------------------------------------------ the LLM
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


# ------------------------------------------------------------------------ the run
async def run_pipeline(
    ref: EntityRef,
    *,
    llm: JsonLLM,
    backend: GraphBackend,
    embedder: Embedder,
    on_event: EventCallback | None = None,
    config: PipelineConfig | None = None,
) -> PipelineResult:
    config = config or PipelineConfig()
    result = PipelineResult(status="failed", entity=ref)
    try:
        async with stage(result, on_event, "context"):
            gathered = await gather_context(ref, backend)
        async with stage(result, on_event, "metadata"):
            metadata = await generate_metadata(gathered, llm)
        async with stage(result, on_event, "enrichment"):
            enriched = await enrich(gathered, metadata, embedder)
        async with stage(result, on_event, "relationships"):
            result.accepted, result.proposed = await discover_relationships(
                gathered, enriched, llm, config.relationship_threshold, config.max_candidates
            )
        async with stage(result, on_event, "validation"):
            draft = draft_document(gathered, enriched, result.accepted)
            result.problems = await validate(draft, result.accepted, gathered, embedder, config)
        if result.problems:
            result.status = "rejected"
        else:
            async with stage(result, on_event, "document"):
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


# ------------------------------------------------------------- 1 context gathering
async def gather_context(ref: EntityRef, backend: GraphBackend) -> Gathered:
    if ref.type not in DOCUMENT_TYPES:
        raise PipelineError(f"Unknown entity type {ref.type!r}; use one of {DOCUMENT_TYPES}.")
    entity, project_pk, project_uid = await sync_to_async(load_entity)(ref)
    project = await load_project_context(project_pk)  # cached per project
    graph = await backend.fetch([ref.id])
    previous = await backend.get_document(ref.id)
    return Gathered(ref, entity, project_pk, project_uid, project, graph, previous)


def load_entity(ref: EntityRef) -> tuple[dict[str, Any], int, str]:
    """The row as plain data, its project's pk and uid. Raises PipelineError if gone."""
    loaders: dict[str, Callable[[str], tuple[dict[str, Any], Project]]] = {
        "project": project_entity,
        "episode": episode_entity,
        "scene": scene_entity,
        "character": character_entity,
    }
    try:
        entity, project = loaders[ref.type](ref.id)
    except (
        Project.DoesNotExist,
        Episode.DoesNotExist,
        Scene.DoesNotExist,
        Character.DoesNotExist,
    ) as exc:
        raise PipelineError(f"No {ref.type} with id {ref.id}.") from exc
    return entity, project.pk, str(project.uid)


def project_entity(uid: str) -> tuple[dict[str, Any], Project]:
    p = Project.objects.get(uid=uid)
    return {
        "name": p.name,
        "slug": p.slug,
        "genre": p.genre,
        "logline": p.logline,
        "description": p.description,
    }, p


def episode_entity(uid: str) -> tuple[dict[str, Any], Project]:
    e = Episode.objects.select_related("project").get(uid=uid)
    return {"name": e.title, "episodeNumber": e.episode_number, "synopsis": e.synopsis}, e.project


def scene_entity(uid: str) -> tuple[dict[str, Any], Project]:
    s = Scene.objects.select_related("episode__project").get(uid=uid)
    present = [a.character.name for a in s.appearances.select_related("character")]
    return {
        "name": s.title,
        "sceneNumber": s.scene_number,
        "episodeNumber": s.episode.episode_number,
        "location": s.location,
        "summary": s.summary,
        "content": s.content[:3000],
        "characters": present,
    }, s.episode.project


def character_entity(uid: str) -> tuple[dict[str, Any], Project]:
    c = Character.objects.select_related("project").get(uid=uid)
    return {
        "name": c.name,
        "role": c.role,
        "description": c.description,
        "traits": list(c.traits or []),
        "backstory": c.backstory,
    }, c.project


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


# ------------------------------------------------------------------- 3 enrichment
def standard_terms(values: Iterable[Any], limit: int) -> list[str]:
    """Lower-case, hyphenated, de-duplicated: 'Lost  Memory' and 'lost-memory' are one tag."""
    seen: list[str] = []
    for value in values:
        term = re.sub(r"[\s_]+", "-", str(value).strip().casefold()).strip("-")
        if term and term not in seen:
            seen.append(term)
    return seen[:limit]


def entity_text(gathered: Gathered) -> str:
    """The entity's own words, for the summary fallback and the searchable text."""
    entity = gathered.entity
    parts = [
        str(entity.get(k) or "")
        for k in ("description", "synopsis", "summary", "logline", "backstory", "content")
    ]
    return " ".join(p.strip() for p in parts if p.strip())


def standard_metadata(gathered: Gathered, raw: Mapping[str, Any]) -> dict[str, Any]:
    inferred: list[str] = []
    summary = " ".join(str(raw.get("summary") or "").split())
    if not summary:
        summary, inferred = entity_text(gathered)[:300], [*inferred, "summary"]
    category = str(raw.get("category") or "").strip().casefold()
    if not category:
        category, inferred = gathered.ref.type, [*inferred, "category"]
    tone = str(raw.get("tone") or "").strip().casefold()
    if not tone:
        tone, inferred = "unspecified", [*inferred, "tone"]
    importance = raw.get("importance")
    if not isinstance(importance, int | float) or math.isnan(importance):
        importance, inferred = 0.5, [*inferred, "importance"]
    return {
        "summary": summary,
        "themes": standard_terms(raw.get("themes") or [], 8),
        "tone": tone,
        "importance": round(min(max(float(importance), 0.0), 1.0), 2),
        "category": category,
        "tags": standard_terms(raw.get("tags") or [], 12),
        "inferred": inferred,
    }


def linked_entities(gathered: Gathered) -> list[dict[str, str]]:
    """Project characters named in the entity's text (by full name, or by a first name
    no other character shares), and the entity's graph neighbours."""
    text = json.dumps(gathered.entity, ensure_ascii=False).casefold()
    characters = [c for c in gathered.project.get("characters", []) if c["id"] != gathered.ref.id]
    first_names = [str(c["name"]).split()[0].casefold() for c in characters if c["name"]]
    links = []
    for character in characters:
        name = str(character["name"]).casefold()
        aliases = {name} | {
            first for first in name.split()[:1] if first_names.count(first) == 1 and len(first) > 2
        }
        if any(re.search(rf"\b{re.escape(alias)}\b", text) for alias in aliases):
            links.append(
                {
                    "id": character["id"],
                    "type": "character",
                    "name": character["name"],
                    "via": "mention",
                }
            )
    for edge in gathered.graph.edges_of(gathered.ref.id):
        other = edge.target if edge.source == gathered.ref.id else edge.source
        links.append({"id": other, "relationship": edge.type, "via": "graph"})
    return links


def document_text(gathered: Gathered, metadata: Mapping[str, Any]) -> str:
    entity = gathered.entity
    lines = [f"{gathered.ref.type.title()}: {entity.get('name', '')}"]
    for key in ("role", "genre", "location", "episodeNumber", "sceneNumber"):
        if entity.get(key):
            lines.append(f"{key}: {entity[key]}")
    if entity.get("traits"):
        lines.append("traits: " + ", ".join(map(str, entity["traits"])))
    if entity.get("characters"):
        lines.append("characters: " + ", ".join(map(str, entity["characters"])))
    own = entity_text(gathered)
    lines += [own[:2000]] if own else []
    lines.append(f"summary: {metadata['summary']}")
    if metadata["themes"]:
        lines.append("themes: " + ", ".join(metadata["themes"]))
    return "\n".join(line for line in lines if line.strip())


async def enrich(gathered: Gathered, raw: Mapping[str, Any], embedder: Embedder) -> Enriched:
    metadata = standard_metadata(gathered, raw)
    metadata["links"] = linked_entities(gathered)
    metadata["entity"] = {k: v for k, v in gathered.entity.items() if k != "content"}
    metadata["embeddingModel"] = embedder.name
    text = document_text(gathered, metadata)
    [embedding] = await embedder.embed_passages([text])
    return Enriched(text=text, metadata=metadata, embedding=embedding)


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


def candidates(gathered: Gathered, limit: int) -> dict[str, list[dict[str, Any]]]:
    context = gathered.project
    return {
        "characters": [
            {"id": c["id"], "name": c["name"], "role": c.get("role", "")}
            for c in context.get("characters", [])
        ][:limit],
        "scenes": [
            {
                "id": s["id"],
                "episode": s.get("episode"),
                "scene": s.get("number"),
                "title": s.get("title", ""),
                "characters": [a["character"] for a in s.get("characters", [])],
            }
            for s in context.get("scenes", [])
        ][:limit],
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


# ------------------------------------------------------------------- 5 validation
def draft_document(
    gathered: Gathered, enriched: Enriched, accepted: Sequence[Proposal]
) -> Document:
    existing = [
        {"kind": e.type, "from": e.source, "to": e.target, **e.properties}
        for e in gathered.graph.edges_of(gathered.ref.id)
    ]
    discovered = [p.as_dict() for p in accepted]
    return Document(
        id=gathered.ref.id,
        type=gathered.ref.type,
        project_id=gathered.project_uid,
        text=enriched.text,
        metadata=enriched.metadata,
        relationships=existing + discovered,
        embedding=enriched.embedding,
    )


async def validate(
    document: Document,
    accepted: Sequence[Proposal],
    gathered: Gathered,
    embedder: Embedder,
    config: PipelineConfig,
) -> list[str]:
    """Every reason the document may not be stored; empty when it may."""
    problems = required_fields(document) + field_types(document, embedder.dimensions)
    known = await sync_to_async(project_entities)(gathered.project_pk)
    for proposal in accepted:
        problems += link_problems(proposal, gathered.ref.id, known)
    hierarchy = [e for e in gathered.graph.edges.values() if e.type in (BELONGS_TO, PART_OF)]
    hierarchy += [
        Edge(str(r["kind"]), str(r["from"]), str(r["to"]))
        for r in document.relationships
        if r.get("kind") in (BELONGS_TO, PART_OF)
    ]
    cycle = find_cycle(hierarchy)
    if cycle:
        problems.append("BELONGS_TO/PART_OF would form a cycle: " + " -> ".join(cycle))
    score = document_quality(document)
    if score < config.quality_threshold:
        problems.append(
            f"Quality {score:.2f} is below the threshold {config.quality_threshold}"
            f" (inferred: {', '.join(document.metadata.get('inferred', [])) or '-'})."
        )
    return problems


def required_fields(document: Document) -> list[str]:
    problems = [
        f"Missing {name}."
        for name, value in (
            ("id", document.id),
            ("type", document.type),
            ("project_id", document.project_id),
            ("text", document.text.strip()),
        )
        if not value
    ]
    problems += [
        f"Metadata lacks {key}."
        for key in METADATA_SCHEMA["required"]
        if key not in document.metadata
    ]
    if document.type not in DOCUMENT_TYPES:
        problems.append(f"Type {document.type!r} is not one of {', '.join(DOCUMENT_TYPES)}.")
    return problems


def field_types(document: Document, dimensions: int) -> list[str]:
    meta, problems = document.metadata, []
    importance = meta.get("importance")
    if not isinstance(importance, int | float) or not 0 <= importance <= 1:
        problems.append(f"Importance must be a number from 0 to 1, not {importance!r}.")
    for key in ("themes", "tags"):
        if not isinstance(meta.get(key), list) or not all(isinstance(v, str) for v in meta[key]):
            problems.append(f"{key.title()} must be a list of text.")
    for key in ("summary", "tone", "category"):
        if not isinstance(meta.get(key), str):
            problems.append(f"{key.title()} must be text.")
    vector = document.embedding
    if len(vector) != dimensions or not all(math.isfinite(float(x)) for x in vector):
        problems.append(f"The embedding must be {dimensions} finite numbers.")
    return problems


def project_entities(project_pk: int) -> dict[str, str]:
    """uid -> "character" / "scene" for the project's rows: the valid link endpoints."""
    known = {
        str(uid): "character"
        for uid in Character.objects.filter(project_id=project_pk).values_list("uid", flat=True)
    }
    known |= {
        str(uid): "scene"
        for uid in Scene.objects.filter(episode__project_id=project_pk).values_list(
            "uid", flat=True
        )
    }
    return known


def link_problems(p: Proposal, subject: str, known: Mapping[str, str]) -> list[str]:
    label = f"{p.kind} {p.source} -> {p.target}"
    wanted = {RELATED_TO: ("character", "character"), APPEARS_IN: ("character", "scene")}
    if p.kind not in wanted:
        return [f"{label}: unknown relationship kind."]
    problems = [
        f"{label}: the {end} {ident} does not exist in this project."
        for end, ident, kind in (
            ("source", p.source, wanted[p.kind][0]),
            ("target", p.target, wanted[p.kind][1]),
        )
        if known.get(ident) != kind
    ]
    if subject not in (p.source, p.target):
        problems.append(f"{label}: does not involve the subject {subject}.")
    if p.kind == RELATED_TO and (p.source == p.target or not 0 < len(p.type) <= 50):
        problems.append(f"{label}: needs two different characters and a type of 1-50 chars.")
    if not 0 <= p.strength <= 1 or len(p.role) > 100:
        problems.append(f"{label}: strength must be 0-1 and the role at most 100 chars.")
    return problems


def find_cycle(edges: Iterable[Edge]) -> list[str]:
    """A cycle in the directed graph of `edges` as a list of ids, or [] if none."""
    outgoing: dict[str, list[str]] = {}
    for edge in edges:
        outgoing.setdefault(edge.source, []).append(edge.target)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = 1
        for nxt in outgoing.get(node, []):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], node, nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, node])):
                return found
        state[node] = 2
        return []

    for start in list(outgoing):
        if start not in state and (found := visit(start, [])):
            return found
    return []


def document_quality(document: Document) -> float:
    """The share of checks passed; a field the LLM left empty and we inferred fails."""
    meta = document.metadata
    inferred = set(meta.get("inferred", []))
    checks = [
        len(str(meta.get("summary", ""))) >= 20 and "summary" not in inferred,
        bool(meta.get("themes")),
        bool(meta.get("tags")),
        "tone" not in inferred,
        "category" not in inferred and "importance" not in inferred,
        len(document.text) >= 40,
    ]
    return sum(checks) / len(checks)


# ---------------------------------------------------------------- 6 brain document
async def store_document(
    document: Document, accepted: Sequence[Proposal], backend: GraphBackend
) -> Document:
    """Accepted links become rows (canon wins: existing rows are kept as they are); then
    the links as stored and the document go to the graph in one transaction."""
    edges = await sync_to_async(write_links)(list(accepted))
    await backend.apply(Plan(upsert_edges=edges, upsert_documents=[document]))
    return document


@transaction.atomic
def write_links(accepted: list[Proposal]) -> list[Edge]:
    edges: list[Edge] = []
    for p in accepted:
        source = Character.objects.get(uid=p.source)
        if p.kind == RELATED_TO:
            row, _ = CharacterRelationship.objects.get_or_create(
                from_character=source,
                to_character=Character.objects.get(uid=p.target),
                type=p.type,
                defaults={"strength": p.strength, "description": p.reason},
            )
            edges.append(
                Edge(
                    RELATED_TO,
                    p.source,
                    p.target,
                    {"type": row.type, "strength": float(row.strength)},
                )
            )
        else:
            appearance, _ = SceneAppearance.objects.get_or_create(
                character=source,
                scene=Scene.objects.get(uid=p.target),
                defaults={"role": p.role},
            )
            edges.append(Edge(APPEARS_IN, p.source, p.target, {"role": appearance.role}))
    return edges
