"""Retries with linear, exponential or Fibonacci backoff (spec 8.2).

Times are in seconds (the spec's milliseconds, divided by 1000). `sleep` and
`rng` are parameters so tests measure delays without waiting.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from engine.errors import AladdinError

T = TypeVar("T")

JITTER_FRACTION = 0.25


class RetryStrategy(StrEnum):
    LINEAR = "linear"
    EXPONENTIAL = "exponential-backoff"
    FIBONACCI = "fibonacci"


@dataclass(frozen=True)
class RetryConfig:
    max_attempts: int = 3
    strategy: RetryStrategy = RetryStrategy.EXPONENTIAL
    base_delay: float = 1.0
    max_delay: float = 30.0
    multiplier: float = 2.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.base_delay < 0:
            raise ValueError(f"base_delay must be >= 0 seconds, got {self.base_delay}")
        if self.max_delay < 0:
            raise ValueError(f"max_delay must be >= 0 seconds, got {self.max_delay}")
        if self.multiplier < 0:
            raise ValueError(f"multiplier must be >= 0, got {self.multiplier}")
        # Accept plain strings from settings or the admin, fail on typos.
        object.__setattr__(self, "strategy", RetryStrategy(self.strategy))


@dataclass(frozen=True)
class RetryAttempt:
    """Reported to `on_retry` before each wait: attempt `attempt` failed."""

    attempt: int  # 1-based number of the attempt that just failed
    delay: float  # seconds we are about to wait
    error: AladdinError
    max_attempts: int


def fibonacci(n: int) -> int:
    """1, 1, 2, 3, 5, ... for n = 1, 2, 3, ...; 1 for n <= 1 as in the spec."""
    a, b = 1, 1
    for _ in range(2, n):
        a, b = b, a + b
    return b


def _base_delay(attempt: int, config: RetryConfig) -> float:
    if config.strategy is RetryStrategy.LINEAR:
        return config.base_delay * (attempt + 1)
    if config.strategy is RetryStrategy.FIBONACCI:
        return config.base_delay * fibonacci(attempt + 1)
    return config.base_delay * config.multiplier**attempt


def compute_delay(
    attempt: int, config: RetryConfig, rng: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after 0-based `attempt` failed: capped, then jittered."""
    delay = min(_base_delay(attempt, config), config.max_delay)
    if config.jitter:
        # +-25% spreads out callers that failed together (thundering herd).
        delay += (rng() * 2 - 1) * JITTER_FRACTION * delay
    return max(delay, 0.0)


def _delay_for(
    error: AladdinError, attempt: int, config: RetryConfig, rng: Callable[[], float]
) -> float:
    delay = compute_delay(attempt, config, rng)
    if error.retry_after is None:
        return delay
    # The provider knows when it will take us back: never retry sooner, and
    # let its Retry-After win over our own max_delay.
    ceiling = max(config.max_delay, error.retry_after)
    return min(max(delay, error.retry_after), ceiling)


async def call_with_retry(
    fn: Callable[[], Awaitable[T]],
    config: RetryConfig,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: Callable[[], float] = random.random,
    on_retry: Callable[[RetryAttempt], Awaitable[None]] | None = None,
) -> T:
    """Await `fn()`, retrying transient `AladdinError`s per `config`.

    Anything else (permanent errors, plain exceptions, cancellation) propagates
    at once. The error finally raised carries `details["attempts"]`.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return await fn()
        except AladdinError as error:
            if not error.retryable or attempt >= config.max_attempts:
                error.details["attempts"] = attempt
                raise
            delay = _delay_for(error, attempt - 1, config, rng)
            if on_retry is not None:
                await on_retry(RetryAttempt(attempt, delay, error, config.max_attempts))
            await sleep(delay)
