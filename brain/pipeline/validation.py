"""Stage 5, validation: required fields, types, endpoints, no BELONGS_TO/PART_OF cycle,
quality threshold.

A discovered link that fails its checks (an endpoint the project does not have, a link
not involving the subject) is dropped with its reasons, and the document is checked
without it: a model's wrong guess about one link must not cost the entity its
searchable document. Any other failure stops the run with its reasons, before anything
is written."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from asgiref.sync import sync_to_async

from aladdin.validators import is_uuid
from brain.embeddings import Embedder
from brain.graph.base import (
    APPEARS_IN,
    BELONGS_TO,
    DOCUMENT_TYPES,
    PART_OF,
    RELATED_TO,
    Document,
    Edge,
)
from brain.models import Character, Scene
from brain.pipeline.prompts import METADATA_SCHEMA
from brain.pipeline.types import Enriched, Gathered, PipelineConfig, Proposal


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


async def vet_links(
    accepted: Sequence[Proposal], gathered: Gathered
) -> tuple[list[Proposal], list[dict[str, Any]]]:
    """(valid, dropped): the links that pass link_problems, and the others, each as
    its as_dict() with the "problems" it has."""
    endpoints = {end for proposal in accepted for end in (proposal.source, proposal.target)}
    known = await sync_to_async(project_entities)(gathered.project_pk, endpoints)
    valid: list[Proposal] = []
    dropped: list[dict[str, Any]] = []
    for proposal in accepted:
        problems = link_problems(proposal, gathered.ref.id, known)
        if problems:
            dropped.append({**proposal.as_dict(), "problems": problems})
        else:
            valid.append(proposal)
    return valid, dropped


async def validate(
    document: Document,
    gathered: Gathered,
    embedder: Embedder,
    config: PipelineConfig,
) -> list[str]:
    """Every reason the document may not be stored; empty when it may. Its links are
    those vet_links() kept."""
    problems = required_fields(document) + field_types(document, embedder.dimensions)
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


def project_entities(project_pk: int, uids: Collection[str]) -> dict[str, str]:
    """uid -> "character" / "scene" for those of `uids` that are the project's rows:
    the valid link endpoints. Only the named ones are read: a document's check must
    not cost more as the project grows."""
    wanted = [uid for uid in uids if is_uuid(uid)]
    if not wanted:
        return {}
    characters = Character.objects.filter(project_id=project_pk, uid__in=wanted)
    scenes = Scene.objects.filter(episode__project_id=project_pk, uid__in=wanted)
    known = {str(uid): "character" for uid in characters.values_list("uid", flat=True)}
    known |= {str(uid): "scene" for uid in scenes.values_list("uid", flat=True)}
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
