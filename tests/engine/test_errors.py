import asyncio
import json
import pickle

import pytest

from engine.errors import RETRYABLE, AladdinError, ErrorType, counts_against_breaker


def test_error_types_cover_the_spec_classes_and_ours():
    spec = {
        "rate_limit",
        "timeout",
        "network_error",
        "service_unavailable",
        "invalid_input",
        "authentication_error",
        "authorization_error",
        "validation_error",
        "agent_failure",
        "quality_threshold_not_met",
        "context_too_large",
        "database_error",
        "cache_error",
        "unknown_error",
    }
    ours = {"budget_exceeded", "circuit_open", "cancelled", "loop_detected"}
    assert {error_type.value for error_type in ErrorType} == spec | ours


def test_only_the_four_transient_errors_are_retryable():
    assert set(RETRYABLE) == {
        ErrorType.RATE_LIMIT,
        ErrorType.TIMEOUT,
        ErrorType.NETWORK_ERROR,
        ErrorType.SERVICE_UNAVAILABLE,
    }
    assert AladdinError(ErrorType.TIMEOUT, "slow").retryable
    assert not AladdinError(ErrorType.INVALID_INPUT, "bad").retryable


def test_str_of_an_error_is_its_message():
    error = AladdinError(ErrorType.RATE_LIMIT, "slow down")
    assert str(error) == "slow down"
    assert error.type is ErrorType.RATE_LIMIT


def test_error_type_accepts_its_string_value():
    assert AladdinError("timeout", "x").type is ErrorType.TIMEOUT  # type: ignore[arg-type]


def test_to_dict_omits_absent_retry_after_and_details():
    data = AladdinError(ErrorType.INVALID_INPUT, "no task").to_dict()
    assert data == {"type": "invalid_input", "message": "no task", "retryable": False}


def test_to_dict_is_json_safe_even_with_odd_details():
    error = AladdinError(
        ErrorType.RATE_LIMIT,
        "429",
        retry_after=12.5,
        details={"cause": ValueError("boom"), "models": ("a", "b"), "ratio": float("nan")},
    )
    data = error.to_dict()
    assert data["retryAfter"] == 12.5
    assert data["retryable"] is True
    assert data["details"] == {"cause": "boom", "models": ["a", "b"], "ratio": "nan"}
    json.dumps(data, allow_nan=False)


def test_details_default_to_an_empty_dict_that_callers_may_annotate():
    error = AladdinError(ErrorType.TIMEOUT, "slow")
    error.details["attempts"] = 3
    assert error.to_dict()["details"] == {"attempts": 3}


def test_error_survives_pickling_with_its_fields():
    error = AladdinError(ErrorType.RATE_LIMIT, "429", retry_after=3.0, details={"model": "m"})
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.type, copy.message, copy.retry_after, copy.details) == (
        ErrorType.RATE_LIMIT,
        "429",
        3.0,
        {"model": "m"},
    )


@pytest.mark.parametrize(
    "error_type",
    [*RETRYABLE, ErrorType.AUTHENTICATION_ERROR, ErrorType.UNKNOWN_ERROR],
)
def test_provider_failures_count_against_the_breaker(error_type):
    assert counts_against_breaker(AladdinError(error_type, "x"))


@pytest.mark.parametrize(
    "error_type",
    [
        ErrorType.INVALID_INPUT,
        ErrorType.VALIDATION_ERROR,
        ErrorType.CONTEXT_TOO_LARGE,
        ErrorType.BUDGET_EXCEEDED,
        ErrorType.CANCELLED,
        ErrorType.CIRCUIT_OPEN,
    ],
)
def test_caller_errors_do_not_count_against_the_breaker(error_type):
    assert not counts_against_breaker(AladdinError(error_type, "x"))


def test_unclassified_exceptions_count_against_the_breaker():
    assert counts_against_breaker(RuntimeError("connection reset"))


def test_cancellation_and_interrupts_do_not_count_against_the_breaker():
    assert not counts_against_breaker(asyncio.CancelledError())
    assert not counts_against_breaker(KeyboardInterrupt())
