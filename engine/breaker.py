"""Circuit breaker per model (spec 8.3).

After `failure_threshold` consecutive provider failures the breaker opens and
rejects calls without making them; after `reset_timeout` seconds it lets calls
through again (half-open) and closes after `half_open_successes` successes.
Only failures that `counts_against_breaker` are counted, so a caller's bad
input or exhausted budget never locks every other caller out of a model.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, TypeVar

from engine.errors import AladdinError, ErrorType, counts_against_breaker

T = TypeVar("T")

Clock = Callable[[], float]


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 60.0,
        half_open_successes: int = 2,
        clock: Clock = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or half_open_successes < 1:
            raise ValueError("failure_threshold and half_open_successes must be at least 1")
        if reset_timeout < 0:
            raise ValueError(f"reset_timeout must be >= 0 seconds, got {reset_timeout}")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self.half_open_successes = half_open_successes
        self._clock = clock
        self._state = BreakerState.CLOSED
        self.failure_count = 0
        self.success_count = 0
        self.last_failure_at: float | None = None

    @property
    def state(self) -> BreakerState:
        """The state a call made now would see (open turns half-open lazily)."""
        if self._state is BreakerState.OPEN and self._retry_in() == 0:
            return BreakerState.HALF_OPEN
        return self._state

    def _retry_in(self) -> float:
        if self._state is not BreakerState.OPEN or self.last_failure_at is None:
            return 0.0
        elapsed = self._clock() - self.last_failure_at
        return max(self.reset_timeout - elapsed, 0.0)

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await `fn()` unless the breaker is open; record the outcome."""
        self._admit()
        try:
            result = await fn()
        except BaseException as error:
            if counts_against_breaker(error):
                self._on_failure()
            raise
        self._on_success()
        return result

    def _admit(self) -> None:
        state = self.state
        if state is BreakerState.OPEN:
            raise self._open_error()
        self._state = state  # commits a lazy open -> half-open transition

    def _open_error(self) -> AladdinError:
        retry_in = self._retry_in()
        return AladdinError(
            ErrorType.CIRCUIT_OPEN,
            f"circuit for {self.name} is open after {self.failure_count} consecutive "
            f"failures; retrying in {math.ceil(retry_in)} s",
            retry_after=retry_in,
            details={"model": self.name, "retryIn": round(retry_in, 3)},
        )

    def _on_success(self) -> None:
        if self._state is BreakerState.HALF_OPEN:
            self.success_count += 1
            if self.success_count >= self.half_open_successes:
                self._state = BreakerState.CLOSED
                self.failure_count = 0
                self.success_count = 0
        elif self._state is BreakerState.CLOSED:
            self.failure_count = 0
        # A call admitted before the breaker opened may finish afterwards; its
        # success is stale evidence, so an open breaker ignores it.

    def _on_failure(self) -> None:
        self.failure_count += 1
        self.success_count = 0
        self.last_failure_at = self._clock()
        if self._state is BreakerState.HALF_OPEN or self.failure_count >= self.failure_threshold:
            self._state = BreakerState.OPEN

    def snapshot(self) -> dict[str, Any]:
        state = self.state
        return {
            "name": self.name,
            "state": state.value,
            "failureCount": self.failure_count,
            "successCount": self.success_count,
            "lastFailureAt": self.last_failure_at,
            "retryIn": round(self._retry_in(), 3) if state is BreakerState.OPEN else None,
        }


class BreakerRegistry:
    """One breaker per model name, created on first use with shared settings."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 60.0,
        half_open_successes: int = 2,
        clock: Clock = time.monotonic,
    ) -> None:
        self._failure_threshold = failure_threshold
        self._reset_timeout = reset_timeout
        self._half_open_successes = half_open_successes
        self._clock = clock
        self._breakers: dict[str, CircuitBreaker] = {}
        # The engine runs in one event loop, but the Django side may read
        # snapshots from another thread while a breaker is being added.
        self._lock = threading.Lock()

    def get(self, name: str) -> CircuitBreaker:
        with self._lock:
            breaker = self._breakers.get(name)
            if breaker is None:
                breaker = CircuitBreaker(
                    name,
                    failure_threshold=self._failure_threshold,
                    reset_timeout=self._reset_timeout,
                    half_open_successes=self._half_open_successes,
                    clock=self._clock,
                )
                self._breakers[name] = breaker
            return breaker

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            breakers = sorted(self._breakers.values(), key=lambda breaker: breaker.name)
        return [breaker.snapshot() for breaker in breakers]

    def reset(self) -> None:
        """Forget every breaker (all start closed again), e.g. after fixing a provider."""
        with self._lock:
            self._breakers.clear()
