"""Fixtures for running agents against the fake LLM server through real litellm."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from agents.llm.client import LitellmClient, LitellmCosts
from agents.tools.executor import DjangoToolExecutor
from engine.breaker import BreakerRegistry
from engine.gateway import Gateway
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


@pytest.fixture
def harness(fake_llm: FakeLLMServer) -> Harness:
    sleeps, clock = SleepLog(), FakeClock()
    breakers = BreakerRegistry(clock=clock)

    def make_runner(
        strategy: RetryStrategy = RetryStrategy.EXPONENTIAL, attempts: int = 3
    ) -> AgentRunner:
        gateway = Gateway(
            LitellmClient(api_base=fake_llm.base_url, api_key="test-key", timeout=5),
            costs=LitellmCosts(),
            breakers=breakers,
            retry=RetryConfig(max_attempts=attempts, strategy=strategy),
            sleep=sleeps,
            rng=lambda: 0.5,  # jitter term (rng*2-1) is then zero
        )
        return AgentRunner(gateway, DjangoToolExecutor(), DjangoRunRecorder())

    return Harness(fake_llm, sleeps, clock, breakers, make_runner)
