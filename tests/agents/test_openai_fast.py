"""The fast path for OpenAI-compatible endpoints, against the fake LLM server.

The gateway tests (test_runtime.py, test_retry_classes.py) run against both paths
through the `harness` fixture; these cover what only the fast path does.
"""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from agents.llm.client import LitellmClient, litellm_module
from agents.llm.openai_fast import (
    OpenAIFastClient,
    TableCosts,
    build_client,
    build_costs,
    handles,
)
from aladdin.pooled_http import pooled_session
from engine.errors import AladdinError, ErrorType
from engine.ports import LLMRequest
from tests.support.fake_llm import FakeLLMServer, http_error, text

PRICED_MODEL = "openai/gpt-4o-mini"


def fast_client(server: FakeLLMServer) -> OpenAIFastClient:
    fallback = LitellmClient(api_base=server.base_url, api_key="test-key", timeout=5)
    return OpenAIFastClient(fallback, api_base=server.base_url, api_key="test-key", timeout=5)


def ask(model: str = PRICED_MODEL, prompt: str = "hello") -> LLMRequest:
    return LLMRequest(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        max_tokens=50,
        agent_id="tester",
    )


async def test_openai_compatible_models_are_posted_by_the_pooled_aiohttp_client(
    fake_llm: FakeLLMServer,
) -> None:
    fake_llm.script("hello", text("hi there"))

    response = await fast_client(fake_llm).complete(ask())

    assert response.content == "hi there"
    [body], [headers] = fake_llm.requests, fake_llm.request_headers
    assert body["model"] == "gpt-4o-mini"  # the provider prefix is not sent
    assert body["user"] == "tester"
    assert headers["Authorization"] == "Bearer test-key"
    assert "aiohttp" in headers.get("User-Agent", "")


async def test_other_providers_and_the_demo_model_go_through_litellm(
    fake_llm: FakeLLMServer,
) -> None:
    assert handles("openai/qwen2.5:14b") and handles("openrouter/anthropic/claude-3.5-sonnet")
    assert not handles("anthropic/claude-3-5-sonnet") and not handles("aladdin/demo")

    response = await fast_client(fake_llm).complete(ask("aladdin/demo"))

    assert response.content  # the demo provider, registered in litellm, answered
    assert fake_llm.requests == []


async def test_every_call_on_one_event_loop_shares_one_connection_pool() -> None:
    assert await pooled_session() is await pooled_session()


async def test_usage_and_cost_come_back_priced_from_litellms_table(
    fake_llm: FakeLLMServer,
) -> None:
    response = await fast_client(fake_llm).complete(ask())

    prompt_cost, completion_cost = litellm_module().cost_per_token(
        model=PRICED_MODEL,
        prompt_tokens=response.input_tokens,
        completion_tokens=response.output_tokens,
    )
    assert response.input_tokens > 0 and response.output_tokens > 0
    assert response.cost == pytest.approx(prompt_cost + completion_cost)
    assert TableCosts().actual("openai/no-such-model", 10, 10) is None


async def test_a_context_length_error_is_classified_as_too_large(
    fake_llm: FakeLLMServer,
) -> None:
    fake_llm.script("hello", http_error(400, code="context_length_exceeded"))

    with pytest.raises(AladdinError) as raised:
        await fast_client(fake_llm).complete(ask())

    assert raised.value.type is ErrorType.CONTEXT_TOO_LARGE


async def test_an_unreachable_endpoint_is_a_network_error() -> None:
    fallback = LitellmClient(api_base="http://127.0.0.1:9/v1", api_key="k", timeout=2)
    client = OpenAIFastClient(fallback, api_base="http://127.0.0.1:9/v1", api_key="k", timeout=2)

    with pytest.raises(AladdinError) as raised:
        await client.complete(ask())

    assert raised.value.type is ErrorType.NETWORK_ERROR


def test_the_setting_chooses_which_client_runs(settings: SettingsWrapper) -> None:
    settings.ALADDIN_LLM_CLIENT = "fast"
    assert isinstance(build_client(), OpenAIFastClient)
    assert isinstance(build_costs(), TableCosts)

    settings.ALADDIN_LLM_CLIENT = "litellm"
    assert isinstance(build_client(), LitellmClient)
