"""Stage 6, brain document: accepted links to the database, then links + document to
the graph in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from asgiref.sync import sync_to_async
from django.db import transaction

from brain.graph.base import APPEARS_IN, RELATED_TO, Document, Edge, GraphBackend, Plan
from brain.models import Character, CharacterRelationship, Scene, SceneAppearance
from brain.pipeline.types import Proposal


async def store_document(
    document: Document, accepted: Sequence[Proposal], backend: GraphBackend
) -> Document:
    """Accepted links become rows (canon wins: existing rows are kept as they are); then
    the links as stored and the document go to the graph in one transaction."""
    edges = await sync_to_async(write_links)(list(accepted))
    await backend.apply(Plan(upsert_edges=edges, upsert_documents=[document]))
    return document


@transaction.atomic
def write_links(accepted: list[Proposal]) -> list[Edge]:
    edges: list[Edge] = []
    for p in accepted:
        source = Character.objects.get(uid=p.source)
        if p.kind == RELATED_TO:
            row, _ = CharacterRelationship.objects.get_or_create(
                from_character=source,
                to_character=Character.objects.get(uid=p.target),
                type=p.type,
                defaults={"strength": p.strength, "description": p.reason},
            )
            edges.append(
                Edge(
                    RELATED_TO,
                    p.source,
                    p.target,
                    {"type": row.type, "strength": float(row.strength)},
                )
            )
        else:
            appearance, _ = SceneAppearance.objects.get_or_create(
                character=source,
                scene=Scene.objects.get(uid=p.target),
                defaults={"role": p.role},
            )
            edges.append(Edge(APPEARS_IN, p.source, p.target, {"role": appearance.role}))
    return edges
