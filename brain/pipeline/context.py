"""Stage 1, context gathering: the row (database), its neighbours (graph), the project
(cache)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async

from brain.context import load_project_context
from brain.graph.base import DOCUMENT_TYPES, GraphBackend
from brain.models import Character, Episode, Project, Scene
from brain.pipeline.types import EntityRef, Gathered, PipelineError


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
