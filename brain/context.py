"""The project context agents work from: the project, its episodes, scenes,
characters and relationships, cached for ALADDIN_CONTEXT_CACHE_SECONDS and dropped
from the cache whenever any of them changes (see brain/signals.py).

Each build gets a version, cached beside it. A process keeps the contexts it last
read and reuses one while the cache still names its version: a run reads its project
context a dozen times (its canon, each brain document), and a cache read copies the
whole project anew (about 18 ms and 10 MB at 12,000 entities). Readers share what
they get, so they must not change it in place.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

from brain.models import Character, CharacterRelationship, Project, Scene, SceneAppearance

# The contexts this process last read, by project: (version, context); a few projects.
HELD_PROJECTS = 16
_held: OrderedDict[int, tuple[str, dict[str, Any]]] = OrderedDict()


def cache_key(project_id: int) -> str:
    return f"project-context:v2:{project_id}"


def version_key(project_id: int) -> str:
    return f"project-context-version:{project_id}"


def invalidate(project_id: int) -> None:
    cache.delete_many([cache_key(project_id), version_key(project_id)])
    _held.pop(project_id, None)


async def load_project_context(project_id: int) -> dict[str, Any]:
    """The project's context. Its lists and records are shared with other readers."""
    return dict((await load_versioned_context(project_id))[1])


async def load_versioned_context(project_id: int) -> tuple[str, dict[str, Any]]:
    """(version, context): a new version whenever the context is built again. The
    context is shared: callers must not change it."""
    version = await cache.aget(version_key(project_id))
    held = _held.get(project_id)
    if version is not None and held is not None and held[0] == version:
        _held.move_to_end(project_id)
        return held
    cached = await cache.aget(cache_key(project_id))
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == version:
        return _hold(project_id, cached)
    context = await sync_to_async(build_project_context)(project_id)
    built = (uuid.uuid4().hex, context)
    timeout = settings.ALADDIN_CONTEXT_CACHE_SECONDS
    await cache.aset(cache_key(project_id), built, timeout=timeout)
    await cache.aset(version_key(project_id), built[0], timeout=timeout)
    return _hold(project_id, built) if timeout else built


def _hold(project_id: int, versioned: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    _held[project_id] = versioned
    _held.move_to_end(project_id)
    while len(_held) > HELD_PROJECTS:
        _held.popitem(last=False)
    return versioned


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
