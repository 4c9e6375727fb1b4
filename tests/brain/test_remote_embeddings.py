"""Brain embeddings from an OpenAI-compatible /embeddings endpoint
(`ALADDIN_EMBEDDING_MODEL=openai/<model>`), against the fake server at the network edge."""

from __future__ import annotations

import asyncio
import math
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from brain import embeddings
from brain.embeddings import EmbeddingError, RemoteEmbedder, choose_embedder
from brain.graph import get_backend
from brain.graph.base import Plan
from brain.graph.sync import run_blocking
from brain.relevance import relevant_context
from tests import factories
from tests.brain.helpers import character_documents, new_id
from tests.support.fake_llm import FakeLLMServer, fake_embedding

MODEL = "openai/text-embedding-3-small"


@pytest.fixture
def remote(fake_llm: FakeLLMServer, settings: Any) -> RemoteEmbedder:
    settings.ALADDIN_EMBEDDING_MODEL = MODEL
    settings.ALADDIN_EMBEDDING_API_BASE = fake_llm.base_url
    settings.ALADDIN_EMBEDDING_API_KEY = "sk-embed-test"
    embedder = choose_embedder()
    assert isinstance(embedder, RemoteEmbedder)
    return embedder


@pytest.fixture
def remote_by_default(remote: RemoteEmbedder) -> Iterator[RemoteEmbedder]:
    """The process's embedder is the remote one, as it is when the setting is on at start."""
    before = embeddings._default
    embeddings._default = remote
    yield remote
    embeddings._default = before


def unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


async def test_passages_are_posted_once_per_batch_and_come_back_in_order_normalised(
    remote: RemoteEmbedder, fake_llm: FakeLLMServer
) -> None:
    texts = ["The lighthouse keeper.", "A smuggler in the harbour.", "Fog."]

    vectors = await remote.embed_passages(texts)

    [body] = fake_llm.embedding_requests
    assert body == {"model": "text-embedding-3-small", "input": texts, "dimensions": 384}
    assert fake_llm.embedding_request_headers[0]["Authorization"] == "Bearer sk-embed-test"
    for text, vector in zip(texts, vectors, strict=True):
        assert vector == pytest.approx(unit(fake_embedding(text)))
    assert remote.name == MODEL and remote.embedded == 3


async def test_a_query_asked_twice_is_posted_once(
    remote: RemoteEmbedder, fake_llm: FakeLLMServer
) -> None:
    first = await remote.embed_query("who lights the lamp?")
    second = await remote.embed_query("who lights the lamp?")

    assert first == second and len(fake_llm.embedding_requests) == 1


async def test_many_passages_are_split_into_batches(
    remote: RemoteEmbedder, fake_llm: FakeLLMServer
) -> None:
    texts = [f"extra number {n}" for n in range(RemoteEmbedder.BATCH + 5)]

    vectors = await remote.embed_passages(texts)

    sizes = [len(body["input"]) for body in fake_llm.embedding_requests]
    assert sizes == [RemoteEmbedder.BATCH, 5]
    assert vectors[-1] == pytest.approx(unit(fake_embedding(texts[-1])))


async def test_a_model_of_another_width_is_refused_with_what_to_change(
    remote: RemoteEmbedder, fake_llm: FakeLLMServer
) -> None:
    fake_llm.embedding_dimensions = 768

    with pytest.raises(EmbeddingError) as raised:
        await remote.embed_passages(["Fog."])

    assert "768 numbers per text" in str(raised.value)
    assert "holds 384" in str(raised.value) and "ALADDIN_EMBEDDING_MODEL" in str(raised.value)


async def test_an_endpoint_error_names_the_status_and_the_settings(
    remote: RemoteEmbedder, fake_llm: FakeLLMServer
) -> None:
    fake_llm.embedding_failure = 401

    with pytest.raises(EmbeddingError) as raised:
        await remote.embed_query("Fog.")

    assert "HTTP 401" in str(raised.value) and "ALADDIN_EMBEDDING_API_KEY" in str(raised.value)


async def test_an_endpoint_nobody_listens_on_is_an_embedding_error() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    base = f"http://ops:s3cret@127.0.0.1:{port}/v1"  # credentials in the URL
    embedder = RemoteEmbedder(MODEL, api_base=base, api_key=None, timeout=5)

    with pytest.raises(EmbeddingError) as raised:
        await embedder.embed_passages(["Fog."])

    message = str(raised.value)
    assert message.startswith(f"Could not reach http://127.0.0.1:{port}/v1/embeddings")
    assert "ALADDIN_EMBEDDING_API_BASE" in message
    assert "s3cret" not in message and "ops:" not in message  # shown to project readers


def test_the_setting_accepts_only_openai_compatible_models(tmp_path: Any) -> None:
    from tests.aladdin.test_security_settings import run_python

    done = run_python(
        "import django; django.setup()", tmp_path, DEBUG="true", ALADDIN_EMBEDDING_MODEL="cohere/x"
    )

    assert done.returncode != 0
    assert "ALADDIN_EMBEDDING_MODEL must be empty" in done.stderr


PEOPLE = {
    "keeper": "Agnes Pell tends the lighthouse lamp at the top of the tower.",
    "smuggler": "Harbourmaster Crane sells what the shipwrecks bring ashore.",
}


@pytest.mark.django_db(transaction=True)
def test_search_embeds_the_query_remotely_and_reports_an_outage_on_the_page(
    remote_by_default: RemoteEmbedder, fake_llm: FakeLLMServer, admin_client: Client
) -> None:
    project = factories.project(slug=f"remote-{new_id()[:8]}")
    vectors = run_blocking(lambda: remote_by_default.embed_passages(list(PEOPLE.values())))
    documents = character_documents(str(project.uid), list(PEOPLE.values()), vectors)
    run_blocking(lambda: get_backend().apply(Plan(upsert_documents=documents)))

    found = admin_client.get(f"/brain/{project.slug}/search", {"q": "the lighthouse lamp"})
    assert found.status_code == 200
    assert found.json()["results"][0]["id"] == documents[0].id
    assert fake_llm.embedding_requests[-1]["input"] == ["the lighthouse lamp"]

    fake_llm.embedding_failure = 503
    down = admin_client.get(f"/brain/{project.slug}/search", {"q": "who sells wrecks"})
    assert down.status_code == 503 and "HTTP 503" in down.json()["error"]
    page = admin_client.get(f"/brain/{project.slug}/graph", {"q": "who sells wrecks"})
    assert page.status_code == 503 and "HTTP 503" in page.content.decode()
    shown = page.content.decode()
    assert "Search is unavailable" in shown and "The graph is unavailable" not in shown
    assert "No brain documents matched" not in shown  # a failed search is not an empty one


@pytest.mark.django_db(transaction=True)
async def test_a_judges_canon_is_chosen_by_words_while_the_endpoint_is_down(
    remote_by_default: RemoteEmbedder, fake_llm: FakeLLMServer
) -> None:
    project = await asyncio.to_thread(factories.project)
    for n in range(12):  # more than the 10 characters a canon keeps, all tied on words
        await asyncio.to_thread(factories.character, project, name=f"Extra {n}")
    await asyncio.to_thread(factories.character, project, name="Isla Marrow")
    fake_llm.embedding_failure = 503

    context = await relevant_context(project.pk, "Isla Marrow walks the extra mile")

    assert fake_llm.embedding_requests  # meaning was asked for, and failed
    names = [c["name"] for c in context["characters"]]
    assert len(names) == 10 and "Isla Marrow" in names


async def test_a_key_beside_credentials_in_the_url_is_a_clear_error(
    fake_llm: FakeLLMServer,
) -> None:
    base = fake_llm.base_url.replace("http://", "http://ops:s3cret@")
    embedder = RemoteEmbedder(MODEL, api_base=base, api_key="sk-also", timeout=5)

    with pytest.raises(EmbeddingError) as raised:
        await embedder.embed_query("Fog.")

    assert "ALADDIN_EMBEDDING_API_KEY" in str(raised.value)
    assert "s3cret" not in str(raised.value)
