"""Retries with linear, exponential or Fibonacci backoff (spec 8.2), per error class.

Each transient error class of spec 8.1 has its own strategy and attempt limit
(`RetryPolicy`): rate limits back off exponentially and honour Retry-After,
timeouts wait linearly, network errors follow Fibonacci; permanent errors
(validation, authentication, ...) are never retried. Times are in seconds (the
spec's milliseconds, divided by 1000). `sleep` and `rng` are parameters so tests
measure delays without waiting.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TypeVar

from engine.errors import RETRYABLE, AladdinError, ErrorType

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


# Spec 8.1's strategy per transient class; every other class is not retried.
DEFAULT_STRATEGIES: Mapping[ErrorType, RetryStrategy] = {
    ErrorType.RATE_LIMIT: RetryStrategy.EXPONENTIAL,
    ErrorType.TIMEOUT: RetryStrategy.LINEAR,
    ErrorType.NETWORK_ERROR: RetryStrategy.FIBONACCI,
    ErrorType.SERVICE_UNAVAILABLE: RetryStrategy.EXPONENTIAL,
}
# A provider asking us to wait longer than this is not waited for: the call fails at
# once, releasing its budget reservations, instead of holding the run for an hour.
DEFAULT_MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """A RetryConfig per error class; a class without one is not retried."""

    configs: Mapping[ErrorType, RetryConfig] = field(default_factory=dict)
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER

    def __post_init__(self) -> None:
        permanent = sorted(str(kind) for kind in self.configs if kind not in RETRYABLE)
        if permanent:
            raise ValueError(f"permanent errors are never retried: {', '.join(permanent)}")
        if self.max_retry_after < 0:
            raise ValueError(f"max_retry_after must be >= 0, got {self.max_retry_after}")

    @classmethod
    def default(
        cls, base: RetryConfig | None = None, *, max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
    ) -> RetryPolicy:
        """Spec 8.1's strategies, each with `base`'s attempts, delays and jitter."""
        base = base or RetryConfig()
        configs = {kind: replace(base, strategy=s) for kind, s in DEFAULT_STRATEGIES.items()}
        return cls(configs, max_retry_after)

    def for_error(self, error: AladdinError) -> RetryConfig | None:
        return self.configs.get(error.type)


def parse_policy(
    text: str, base: RetryConfig, *, max_retry_after: float = DEFAULT_MAX_RETRY_AFTER
) -> RetryPolicy:
    """`rate_limit=exponential-backoff:5,timeout=linear:2,network_error=off` over the
    defaults: per class a strategy and optionally its attempts, or `off`."""
    configs = dict(RetryPolicy.default(base).configs)
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        kind = ErrorType(name.strip())
        strategy, _, attempts = value.strip().partition(":")
        if strategy == "off":
            configs.pop(kind, None)
            continue
        config = replace(base, strategy=RetryStrategy(strategy))
        if attempts:
            config = replace(config, max_attempts=int(attempts))
        configs[kind] = config
    return RetryPolicy(configs, max_retry_after)


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


def _config_for(error: AladdinError, policy: RetryConfig | RetryPolicy) -> RetryConfig | None:
    if isinstance(policy, RetryPolicy):
        return policy.for_error(error)
    return policy if error.retryable else None


def _too_long(error: AladdinError, policy: RetryConfig | RetryPolicy) -> bool:
    limit = policy.max_retry_after if isinstance(policy, RetryPolicy) else None
    if limit is None or error.retry_after is None or error.retry_after <= limit:
        return False
    error.details["retryAfterRefused"] = error.retry_after
    error.message += (
        f" The provider asked to wait {error.retry_after:.0f} s, longer than the "
        f"{limit:.0f} s allowed (ALADDIN_RETRY_AFTER_MAX_SECONDS); not retried."
    )
    return True


async def call_with_retry(
    fn: Callable[[], Awaitable[T]],
    config: RetryConfig | RetryPolicy,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: Callable[[], float] = random.random,
    on_retry: Callable[[RetryAttempt], Awaitable[None]] | None = None,
) -> T:
    """Await `fn()`, retrying transient `AladdinError`s per `config` (one config for
    every transient class, or a RetryPolicy with one per class).

    Anything else (permanent errors, plain exceptions, cancellation) propagates
    at once. The error finally raised carries `details["attempts"]`.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return await fn()
        except AladdinError as error:
            chosen = _config_for(error, config)
            if chosen is None or attempt >= chosen.max_attempts or _too_long(error, config):
                error.details["attempts"] = attempt
                raise
            delay = _delay_for(error, attempt - 1, chosen, rng)
            if on_retry is not None:
                await on_retry(RetryAttempt(attempt, delay, error, chosen.max_attempts))
            await sleep(delay)
