"""After a story-world row changes: drop the project's cached context and bring the
knowledge graph in step, both once the transaction commits.

The graph sync runs after commit (a rolled-back save never reaches the graph), is
batched per transaction (an admin save with inlines syncs once), and never breaks
the save: brain.graph.sync.sync_now logs a graph outage and brain_sync repairs. A run
storing its results holds the sync and runs it after it has answered
(brain.commit_hooks).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from brain import context
from brain.commit_hooks import run_or_hold
from brain.graph.base import CHARACTER, ELEMENT, EPISODE, LOCATION, PROJECT, SCENE
from brain.graph.sync import NodeKey, sync_now, sync_now_async
from brain.models import (
    Character,
    CharacterRelationship,
    Element,
    Episode,
    Location,
    Project,
    Scene,
    SceneAppearance,
    SceneElement,
)

STORY_MODELS = (
    Project,
    Episode,
    Scene,
    Character,
    CharacterRelationship,
    SceneAppearance,
    Location,
    Element,
    SceneElement,
)
# The character that owns a link row's graph relationship (spec 4.3 draws both from it).
LINK_OWNER_FIELD: dict[type[Model], str] = {
    CharacterRelationship: "from_character_id",
    SceneAppearance: "character_id",
    SceneElement: "element_id",  # (:Element)-[:NEEDED_IN]->(:Scene)
}
_PREVIOUS_OWNER = "_brain_previous_owner_id"


def project_id_of(instance: Any) -> int | None:
    if isinstance(instance, Project):
        return instance.pk
    if isinstance(instance, Episode | Character | Location | Element):
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
    if sender not in STORY_MODELS:
        return
    project_id = project_id_of(instance)
    if project_id is not None:
        transaction.on_commit(lambda: context.invalidate(project_id))


# ------------------------------------------------------------------------ graph sync
def character_keys(pks: set[int | None]) -> set[NodeKey]:
    uids = Character.objects.filter(pk__in=[pk for pk in pks if pk]).values_list("uid", flat=True)
    return {(CHARACTER, str(uid)) for uid in uids}


def graph_keys(instance: Model, *, deleted: bool, created: bool = False) -> set[NodeKey]:
    """The graph nodes whose state this row decides."""
    if isinstance(instance, Project):
        return {(PROJECT, str(instance.uid))}
    if isinstance(instance, Episode):
        keys = {(EPISODE, str(instance.uid))}
        # A scene's projectId comes from its episode's project; a new episode has none.
        if not deleted and not created:
            scenes = Scene.objects.filter(episode_id=instance.pk).values_list("uid", flat=True)
            keys |= {(SCENE, str(uid)) for uid in scenes}
        return keys
    if isinstance(instance, Scene):
        return {(SCENE, str(instance.uid))}
    if isinstance(instance, Character):
        return {(CHARACTER, str(instance.uid))}
    if isinstance(instance, Location):
        return {(LOCATION, str(instance.uid))}
    if isinstance(instance, Element):
        return {(ELEMENT, str(instance.uid))}
    if isinstance(instance, SceneElement):
        owners = {instance.element_id, getattr(instance, _PREVIOUS_OWNER, None)}
        uids = Element.objects.filter(pk__in=[pk for pk in owners if pk]).values_list("uid")
        return {(ELEMENT, str(uid)) for (uid,) in uids}
    owner_field = LINK_OWNER_FIELD.get(type(instance))
    if owner_field is None:
        return set()
    owners = {getattr(instance, owner_field), getattr(instance, _PREVIOUS_OWNER, None)}
    return character_keys(owners)


class _Batch:
    """The nodes to sync when the current transaction commits."""

    def __init__(self) -> None:
        self.keys: set[NodeKey] = set()

    def __call__(self) -> None:
        run_or_hold(self)

    def run(self) -> None:
        sync_now(self.keys)

    async def arun(self) -> None:
        await sync_now_async(self.keys)


def enqueue(keys: set[NodeKey]) -> None:
    if not keys:
        return
    connection = transaction.get_connection()
    batch: _Batch | None = getattr(connection, "_brain_graph_batch", None)
    # Reuse this transaction's batch while its callback is still waiting to run; after
    # it ran, or was discarded by a rollback, start a new one.
    waiting = batch is not None and any(entry[1] is batch for entry in connection.run_on_commit)
    if batch is not None and waiting:
        batch.keys |= keys
        return
    batch = _Batch()
    batch.keys |= keys
    connection._brain_graph_batch = batch  # type: ignore[attr-defined]
    transaction.on_commit(batch, robust=True)


@receiver(pre_save)
def remember_link_owner(sender: type[Model], instance: Any, **kwargs: Any) -> None:
    """A link moved to another character must leave the old character's edges too."""
    owner_field = LINK_OWNER_FIELD.get(sender)
    if owner_field is None or instance.pk is None:
        return
    rows = sender._default_manager.filter(pk=instance.pk)
    previous = rows.values_list(owner_field, flat=True).first()
    setattr(instance, _PREVIOUS_OWNER, previous)


@receiver(post_save)
def sync_saved(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender in STORY_MODELS:
        enqueue(graph_keys(instance, deleted=False, created=bool(kwargs.get("created"))))


@receiver(post_delete)
def sync_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    if sender in STORY_MODELS:
        enqueue(graph_keys(instance, deleted=True))
