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
    loaders: dict[str, Callable[[str], tuple[dict[str, Any], int, str]]] = {
        "project": project_entity,
        "episode": episode_entity,
        "scene": scene_entity,
        "character": character_entity,
    }
    try:
        return loaders[ref.type](ref.id)
    except (
        Project.DoesNotExist,
        Episode.DoesNotExist,
        Scene.DoesNotExist,
        Character.DoesNotExist,
    ) as exc:
        raise PipelineError(f"No {ref.type} with id {ref.id}.") from exc


# Each loader reads the fields it needs as values, not model instances: every brain
# document starts with one of these reads.
def project_entity(uid: str) -> tuple[dict[str, Any], int, str]:
    p = Project.objects.get(uid=uid)
    entity = {
        "name": p.name,
        "slug": p.slug,
        "genre": p.genre,
        "logline": p.logline,
        "description": p.description,
    }
    return entity, p.pk, str(p.uid)


def episode_entity(uid: str) -> tuple[dict[str, Any], int, str]:
    e = (
        Episode.objects.filter(uid=uid)
        .values("title", "episode_number", "synopsis", "project_id", "project__uid")
        .get()
    )
    entity = {"name": e["title"], "episodeNumber": e["episode_number"], "synopsis": e["synopsis"]}
    return entity, e["project_id"], str(e["project__uid"])


def scene_entity(uid: str) -> tuple[dict[str, Any], int, str]:
    s = Scene.objects.select_related("episode__project").get(uid=uid)
    present = [a.character.name for a in s.appearances.select_related("character")]
    return (
        {
            "name": s.title,
            "sceneNumber": s.scene_number,
            "episodeNumber": s.episode.episode_number,
            "location": s.location,
            "summary": s.summary,
            "content": s.content[:3000],
            "characters": present,
        },
        s.episode.project_id,
        str(s.episode.project.uid),
    )


def character_entity(uid: str) -> tuple[dict[str, Any], int, str]:
    fields = ("name", "role", "description", "traits", "backstory")
    c = Character.objects.filter(uid=uid).values(*fields, "project_id", "project__uid").get()
    entity = {name: c[name] for name in fields}
    entity["traits"] = list(c["traits"] or [])
    return entity, c["project_id"], str(c["project__uid"])
