"""Drop a project's cached context when anything in its story world changes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from brain import context
from brain.models import (
    Character,
    CharacterRelationship,
    Episode,
    Project,
    Scene,
    SceneAppearance,
)


def project_id_of(instance: Any) -> int | None:
    if isinstance(instance, Project):
        return instance.pk
    if isinstance(instance, Episode | Character):
        return instance.project_id
    if isinstance(instance, Scene):
        return (
            Episode.objects.filter(pk=instance.episode_id)
            .values_list("project_id", flat=True)
            .first()
        )
    if isinstance(instance, CharacterRelationship):
        return (
            Character.objects.filter(pk=instance.from_character_id)
            .values_list("project_id", flat=True)
            .first()
        )
    if isinstance(instance, SceneAppearance):
        return (
            Character.objects.filter(pk=instance.character_id)
            .values_list("project_id", flat=True)
            .first()
        )
    return None


@receiver(post_save)
@receiver(post_delete)
def drop_cached_context(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender not in {Project, Episode, Scene, Character, CharacterRelationship, SceneAppearance}:
        return
    project_id = project_id_of(instance)
    if project_id is not None:
        transaction.on_commit(lambda: context.invalidate(project_id))
