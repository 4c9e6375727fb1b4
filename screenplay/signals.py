"""Continuity is re-checked when the script or the canon changes: once per project
per transaction, after it commits. A failing check is logged and never breaks the
save; the next change or the page's "Re-check" runs it again. A run storing its results
holds the re-check and runs it after it has answered (brain.commit_hooks); held
re-checks of a project queued while one of them waits to start are that one."""

from __future__ import annotations

import logging
import threading
from typing import Any

from asgiref.sync import sync_to_async
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from brain.commit_hooks import run_or_hold
from brain.models import (
    Character,
    CharacterRelationship,
    Project,
    Scene,
    SceneAppearance,
    SceneElement,
)
from screenplay.models import SceneSource

logger = logging.getLogger(__name__)
WATCHED = (Character, CharacterRelationship, Scene, SceneAppearance, SceneElement, SceneSource)


def project_of(instance: Any) -> int | None:
    if isinstance(instance, Character):
        return instance.project_id
    if isinstance(instance, CharacterRelationship):
        return (
            Character.objects.filter(pk=instance.from_character_id)
            .values_list("project_id", flat=True)
            .first()
        )
    scene_id = instance.pk if isinstance(instance, Scene) else getattr(instance, "scene_id", None)
    if scene_id is None:
        return None
    scenes = Scene.objects.filter(pk=int(scene_id))
    return scenes.values_list("episode__project_id", flat=True).first()


# Projects with a held re-check queued that has not started yet. That check reads the
# project when it starts, after every commit made before it, so a change committed
# meanwhile needs no check of its own: 20 runs storing results at once made 20 checks
# of one project, one after another (`make bench` profile).
_waiting: dict[int, _Recheck] = {}  # by project, the re-check that will read it
_waiting_lock = threading.Lock()


class _Recheck:
    def __init__(self) -> None:
        self.projects: set[int] = set()

    def __call__(self) -> None:
        run_or_hold(self)

    async def arun(self) -> None:
        with _waiting_lock:
            mine = {project for project in self.projects if project not in _waiting}
            _waiting.update(dict.fromkeys(mine, self))
        if not mine:
            return
        try:
            await sync_to_async(self._check_waiting)(mine)
        finally:  # also when cancelled before it started: later changes get a check
            self._started(mine)

    def _check_waiting(self, projects: set[int]) -> None:
        self._started(projects)  # from here on, a new change needs a check of its own
        _check(projects)

    def _started(self, projects: set[int]) -> None:
        with _waiting_lock:
            for project in projects:
                if _waiting.get(project) is self:
                    del _waiting[project]

    def run(self) -> None:
        _check(self.projects)


def _check(projects: set[int]) -> None:
    from screenplay.continuity import check_project

    for project in Project.objects.filter(pk__in=projects):
        try:
            check_project(project)
        except Exception:
            logger.exception("The continuity re-check of %s failed.", project.slug)


def enqueue(project_id: int) -> None:
    connection = transaction.get_connection()
    batch: _Recheck | None = getattr(connection, "_screenplay_recheck", None)
    waiting = batch is not None and any(entry[1] is batch for entry in connection.run_on_commit)
    if batch is not None and waiting:
        batch.projects.add(project_id)
        return
    batch = _Recheck()
    batch.projects.add(project_id)
    connection._screenplay_recheck = batch  # type: ignore[attr-defined]
    transaction.on_commit(batch, robust=True)


@receiver(post_save)
@receiver(post_delete)
def recheck_on_change(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender not in WATCHED:
        return
    project_id = project_of(instance)
    if project_id is not None:
        enqueue(project_id)
