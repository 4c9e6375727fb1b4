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
from typing import Any, Generic, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache

from brain.models import Character, CharacterRelationship, Project, Scene, SceneAppearance

T = TypeVar("T")


class HeldByVersion(Generic[T]):
    """What this process last made from each project's context, with the context's
    version: a few projects, the least recently used dropped first."""

    def __init__(self, projects: int = 16) -> None:
        self.projects = projects
        self._held: OrderedDict[int, tuple[str, T]] = OrderedDict()

    def get(self, project_id: int, version: str | None) -> T | None:
        held = self._held.get(project_id)
        if version is None or held is None or held[0] != version:
            return None
        self._held.move_to_end(project_id)
        return held[1]

    def put(self, project_id: int, version: str, value: T) -> T:
        self._held[project_id] = (version, value)
        self._held.move_to_end(project_id)
        while len(self._held) > self.projects:
            self._held.popitem(last=False)
        return value

    def drop(self, project_id: int) -> None:
        self._held.pop(project_id, None)


# The contexts this process last read.
_held: HeldByVersion[dict[str, Any]] = HeldByVersion()


def cache_key(project_id: int) -> str:
    return f"project-context:v2:{project_id}"


def version_key(project_id: int) -> str:
    return f"project-context-version:{project_id}"


def invalidate(project_id: int) -> None:
    cache.delete_many([cache_key(project_id), version_key(project_id)])
    _held.drop(project_id)


async def load_project_context(project_id: int) -> dict[str, Any]:
    """The project's context. Its lists and records are shared with other readers."""
    return dict((await load_versioned_context(project_id))[1])


async def load_versioned_context(project_id: int) -> tuple[str, dict[str, Any]]:
    """(version, context): a new version whenever the context is built again. The
    context is shared: callers must not change it."""
    version = await _cached_version(project_id)
    held = _held.get(project_id, version)
    if held is not None:
        return version, held
    cached = await cache.aget(cache_key(project_id))
    if isinstance(cached, tuple) and len(cached) == 2 and cached[0] == version:
        return version, _held.put(project_id, version, cached[1])
    context = await sync_to_async(build_project_context)(project_id)
    version = uuid.uuid4().hex
    timeout = settings.ALADDIN_CONTEXT_CACHE_SECONDS
    await cache.aset(cache_key(project_id), (version, context), timeout=timeout)
    await cache.aset(version_key(project_id), version, timeout=timeout)
    if timeout:  # with no caching, nothing is held either
        _held.put(project_id, version, context)
    return version, context


async def _cached_version(project_id: int) -> Any:
    """The version the cache names. The in-process cache (the embedded default) is read
    here: it is a dict behind a lock, and its `aget` is a hop to the database thread
    and back (about 60 us of CPU), which every canon and brain document paid."""
    if isinstance(caches["default"], LocMemCache):
        return cache.get(version_key(project_id))
    return await cache.aget(version_key(project_id))


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
