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
    """Read as plain rows (values_list, no model instances): projects grow to thousands
    of entities, and each run's first read after a change builds the whole context."""
    project = Project.objects.get(pk=project_id)
    appearances: dict[int, list[dict[str, str]]] = {}
    rows = SceneAppearance.objects.filter(scene__episode__project=project)
    for scene_id, character, role in rows.values_list("scene_id", "character__name", "role"):
        appearances.setdefault(scene_id, []).append({"character": character, "role": role})
    episodes = project.episodes.values_list("uid", "episode_number", "title", "synopsis")
    scenes = Scene.objects.filter(episode__project=project).values_list(
        "pk", "uid", "episode__episode_number", "scene_number", "title", "location", "summary"
    )
    characters = Character.objects.filter(project=project).values_list(
        "uid", "name", "role", "description", "traits"
    )
    relationships = (
        CharacterRelationship.objects.filter(from_character__project=project)
        .order_by("pk")
        .values_list("from_character__name", "to_character__name", "type", "strength")
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
            {"id": str(uid), "number": number, "title": title, "synopsis": synopsis}
            for uid, number, title, synopsis in episodes
        ],
        "scenes": [
            {
                "id": str(uid),
                "episode": episode,
                "number": number,
                "title": title,
                "location": location,
                "summary": summary,
                "characters": appearances.get(pk, []),
            }
            for pk, uid, episode, number, title, location, summary in scenes
        ],
        "characters": [
            {
                "id": str(uid),
                "name": name,
                "role": role,
                "description": description,
                "traits": traits,
            }
            for uid, name, role, description, traits in characters
        ],
        "relationships": [
            {"from": source, "to": target, "type": kind, "strength": strength}
            for source, target, kind, strength in relationships
        ],
    }
