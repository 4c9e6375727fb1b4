"""The orchestrator's GraphStore port on the Django side.

The database rows are the source of truth for the story world: results are
written there (characters, their relationships), and the knowledge graph is
kept in step from them (brain/graph). Reads come from the cached project
context.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.db import transaction

from brain.models import Character, CharacterRelationship, Project


class DjangoGraphStore:
    async def relevant_context(self, project_id: int, text: str) -> dict[str, Any]:
        from brain.relevance import relevant_context

        return await relevant_context(project_id, text)

    async def store_results(
        self, project_id: int, execution_id: str, entities: list[dict[str, Any]]
    ) -> int:
        return await sync_to_async(store_entities)(project_id, execution_id, entities)


@transaction.atomic
def store_entities(project_id: int, execution_id: str, entities: list[dict[str, Any]]) -> int:
    """Create or update the characters an orchestration produced; returns how many
    entities (characters and relationships) were written."""
    project = Project.objects.get(pk=project_id)
    written = 0
    characters: dict[str, Character] = {
        c.name.casefold(): c for c in Character.objects.filter(project=project)
    }
    for entity in entities:
        if entity.get("type") != "character" or not str(entity.get("name", "")).strip():
            continue
        character = _upsert_character(project, entity, characters)
        characters[character.name.casefold()] = character
        written += 1
    for entity in entities:
        if entity.get("type") != "character":
            continue
        source = characters.get(str(entity.get("name", "")).strip().casefold())
        for link in entity.get("relatedTo") or []:
            target = characters.get(str(link.get("name", "")).strip().casefold())
            if source is None or target is None or source.pk == target.pk:
                continue
            CharacterRelationship.objects.update_or_create(
                from_character=source,
                to_character=target,
                type=str(link.get("type") or "related")[:50],
                defaults={"strength": min(max(float(link.get("strength", 0.5)), 0.0), 1.0)},
            )
            written += 1
    return written


def _upsert_character(
    project: Project, entity: dict[str, Any], known: dict[str, Character]
) -> Character:
    name = str(entity["name"]).strip()[:200]
    existing = known.get(name.casefold())
    description = str(entity.get("description") or "")
    traits = [str(t) for t in entity.get("traits") or []][:30]
    if existing is None:
        return Character.objects.create(
            project=project, name=name, description=description, traits=traits
        )
    # Canon wins: only fill what is missing, never overwrite an edited field.
    changed: list[str] = []
    if not existing.description and description:
        existing.description, changed = description, [*changed, "description"]
    if not existing.traits and traits:
        existing.traits, changed = traits, [*changed, "traits"]
    if changed:
        existing.save(update_fields=[*changed, "updated_at"])
    return existing
