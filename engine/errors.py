"""Error classes shared by the engine (spec 8.1).

Every failure the engine reports carries an `ErrorType`, so retries (one
strategy per class, engine/retry.py), the circuit breaker, the recorded run
(`Execution.error_type`) and the `error` event agree on what went wrong
without parsing messages.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class ErrorType(StrEnum):
    # Transient: worth retrying.
    RATE_LIMIT = "rate_limit"
    TIMEOUT = "timeout"
    NETWORK_ERROR = "network_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    # Permanent: retrying gives the same answer.
    INVALID_INPUT = "invalid_input"
    AUTHENTICATION_ERROR = "authentication_error"
    AUTHORIZATION_ERROR = "authorization_error"
    VALIDATION_ERROR = "validation_error"
    # Agent errors.
    AGENT_FAILURE = "agent_failure"
    QUALITY_THRESHOLD_NOT_MET = "quality_threshold_not_met"
    CONTEXT_TOO_LARGE = "context_too_large"
    # System errors.
    DATABASE_ERROR = "database_error"
    CACHE_ERROR = "cache_error"
    UNKNOWN_ERROR = "unknown_error"
    # Ours, beyond the spec: raised by the engine's own guards.
    BUDGET_EXCEEDED = "budget_exceeded"
    CIRCUIT_OPEN = "circuit_open"
    CANCELLED = "cancelled"
    LOOP_DETECTED = "loop_detected"


RETRYABLE: frozenset[ErrorType] = frozenset(
    {
        ErrorType.RATE_LIMIT,
        ErrorType.TIMEOUT,
        ErrorType.NETWORK_ERROR,
        ErrorType.SERVICE_UNAVAILABLE,
    }
)

# Failures that say the provider (model) is unhealthy. Anything else is the
# caller's doing and must not trip a breaker shared by every caller.
_PROVIDER_FAILURES: frozenset[ErrorType] = RETRYABLE | {
    ErrorType.AUTHENTICATION_ERROR,
    ErrorType.UNKNOWN_ERROR,
}


class AladdinError(Exception):
    """A classified failure; `str(error)` is the human-readable message."""

    def __init__(
        self,
        type: ErrorType,
        message: str,
        *,
        retry_after: float | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.type = ErrorType(type)
        self.message = message
        self.retry_after = retry_after
        # Always a dict so callers (e.g. retries) can annotate it in place.
        self.details: dict[str, Any] = dict(details) if details else {}

    @property
    def retryable(self) -> bool:
        return self.type in RETRYABLE

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"AladdinError({self.type.value!r}, {self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments defeat Exception's default pickling, and
        # errors cross process boundaries (Celery, multiprocessing).
        return (_rebuild, (self.type.value, self.message, self.retry_after, self.details))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for events, API error bodies and stored run state."""
        data: dict[str, Any] = {
            "type": self.type.value,
            "message": self.message,
            "retryable": self.retryable,
        }
        if self.retry_after is not None:
            data["retryAfter"] = self.retry_after
        if self.details:
            data["details"] = _json_safe(self.details)
        return data


def _rebuild(
    type: str, message: str, retry_after: float | None, details: dict[str, Any]
) -> AladdinError:
    return AladdinError(ErrorType(type), message, retry_after=retry_after, details=details)


def _json_safe(value: Any) -> Any:
    """Details may hold anything (exceptions, enums); JSON gets only plain data."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or Infinity
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(item) for item in value]
    return str(value)


def exhausts_run_budget(error: BaseException | None) -> bool:
    """A budget shared by the run (the orchestration's or the project's day) refused a
    call. One agent reaching its own role limit (spec 7.1 maxTotal) is that agent's
    failure only, and says nothing about what the rest of the run may still spend."""
    return (
        isinstance(error, AladdinError)
        and error.type is ErrorType.BUDGET_EXCEEDED
        and error.details.get("limit") != "agent"
    )


def counts_against_breaker(error: BaseException) -> bool:
    """Whether `error` is evidence that the provider is failing.

    Caller errors (bad input, over budget, cancelled, breaker already open)
    say nothing about the provider; an unclassified exception is presumed to
    be the provider's, since the gateway classifies everything it recognises.
    """
    if isinstance(error, asyncio.CancelledError):
        return False
    if isinstance(error, AladdinError):
        return error.type in _PROVIDER_FAILURES
    # KeyboardInterrupt, SystemExit and friends are not provider failures.
    return isinstance(error, Exception)
