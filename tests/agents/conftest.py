"""Fixtures for running agents against the fake LLM server through real litellm."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from agents.llm.client import LitellmClient, LitellmCosts
from agents.llm.openai_fast import OpenAIFastClient, TableCosts
from agents.tools.executor import DjangoToolExecutor
from engine.breaker import BreakerRegistry
from engine.gateway import Gateway
from engine.ports import LLMClient
from engine.retry import RetryConfig, RetryStrategy
from engine.runtime import AgentRunner
from executions.recorder import DjangoRunRecorder
from tests.support.fake_llm import FakeLLMServer

# A model litellm has prices for, served by the fake server.
PRICED_MODEL = "openai/gpt-4o-mini"


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class SleepLog:
    """Stands in for asyncio.sleep so retry delays are measured, not waited."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@dataclass
class Harness:
    server: FakeLLMServer
    sleeps: SleepLog
    clock: FakeClock
    breakers: BreakerRegistry
    make_runner: Callable[..., AgentRunner]


# Both LLM paths pass the same gateway tests: litellm, and the fast path for
# OpenAI-compatible endpoints (agents/llm/openai_fast.py).
@pytest.fixture(params=["litellm", "fast"])
def harness(fake_llm: FakeLLMServer, request: pytest.FixtureRequest) -> Harness:
    sleeps, clock = SleepLog(), FakeClock()
    breakers = BreakerRegistry(clock=clock)

    def make_runner(
        strategy: RetryStrategy = RetryStrategy.EXPONENTIAL, attempts: int = 3
    ) -> AgentRunner:
        client: LLMClient = LitellmClient(api_base=fake_llm.base_url, api_key="test-key", timeout=5)
        costs: Any = LitellmCosts()
        if request.param == "fast":
            client = OpenAIFastClient(
                client, api_base=fake_llm.base_url, api_key="test-key", timeout=5
            )
            costs = TableCosts()
        gateway = Gateway(
            client,
            costs=costs,
            breakers=breakers,
            retry=RetryConfig(max_attempts=attempts, strategy=strategy),
            sleep=sleeps,
            rng=lambda: 0.5,  # jitter term (rng*2-1) is then zero
        )
        recorder = DjangoRunRecorder()
        return AgentRunner(gateway, DjangoToolExecutor(recorder), recorder)

    return Harness(fake_llm, sleeps, clock, breakers, make_runner)
