"""The project context agents work from: the project, its episodes, scenes,
characters and relationships, cached for ALADDIN_CONTEXT_CACHE_SECONDS and dropped
from the cache whenever any of them changes (see brain/signals.py)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

from brain.models import Character, CharacterRelationship, Project, Scene, SceneAppearance


def cache_key(project_id: int) -> str:
    return f"project-context:{project_id}"


def invalidate(project_id: int) -> None:
    cache.delete(cache_key(project_id))


async def load_project_context(project_id: int) -> dict[str, Any]:
    key = cache_key(project_id)
    cached = await cache.aget(key)
    if cached is not None:
        return dict(cached)
    context = await sync_to_async(build_project_context)(project_id)
    await cache.aset(key, context, timeout=settings.ALADDIN_CONTEXT_CACHE_SECONDS)
    return context


def build_project_context(project_id: int) -> dict[str, Any]:
    project = Project.objects.get(pk=project_id)
    appearances: dict[int, list[dict[str, str]]] = {}
    for appearance in SceneAppearance.objects.filter(
        scene__episode__project=project
    ).select_related("character"):
        appearances.setdefault(appearance.scene_id, []).append(
            {"character": appearance.character.name, "role": appearance.role}
        )
    return {
        "project": {
            "id": str(project.uid),
            "slug": project.slug,
            "name": project.name,
            "genre": project.genre,
            "logline": project.logline,
            "description": project.description,
        },
        "episodes": [
            {"id": str(e.uid), "number": e.episode_number, "title": e.title, "synopsis": e.synopsis}
            for e in project.episodes.all()
        ],
        "scenes": [
            {
                "id": str(s.uid),
                "episode": s.episode.episode_number,
                "number": s.scene_number,
                "title": s.title,
                "location": s.location,
                "summary": s.summary,
                "characters": appearances.get(s.pk, []),
            }
            for s in Scene.objects.filter(episode__project=project).select_related("episode")
        ],
        "characters": [
            {
                "id": str(c.uid),
                "name": c.name,
                "role": c.role,
                "description": c.description,
                "traits": c.traits,
            }
            for c in Character.objects.filter(project=project)
        ],
        "relationships": [
            {
                "from": r.from_character.name,
                "to": r.to_character.name,
                "type": r.type,
                "strength": r.strength,
            }
            for r in CharacterRelationship.objects.filter(
                from_character__project=project
            ).select_related("from_character", "to_character")
        ],
    }
