"""Turning litellm's exceptions into the error classes of spec 8.1."""

from __future__ import annotations

from typing import Any

from engine.errors import AladdinError, ErrorType

# Most specific first: several of litellm's classes subclass others.
_BY_CLASS_NAME: tuple[tuple[str, ErrorType], ...] = (
    ("ContextWindowExceededError", ErrorType.CONTEXT_TOO_LARGE),
    ("Timeout", ErrorType.TIMEOUT),
    ("APITimeoutError", ErrorType.TIMEOUT),
    ("RateLimitError", ErrorType.RATE_LIMIT),
    ("AuthenticationError", ErrorType.AUTHENTICATION_ERROR),
    ("PermissionDeniedError", ErrorType.AUTHORIZATION_ERROR),
    ("ServiceUnavailableError", ErrorType.SERVICE_UNAVAILABLE),
    ("BadGatewayError", ErrorType.SERVICE_UNAVAILABLE),
    ("InternalServerError", ErrorType.SERVICE_UNAVAILABLE),
    ("APIConnectionError", ErrorType.NETWORK_ERROR),
    ("ContentPolicyViolationError", ErrorType.INVALID_INPUT),
    ("BadRequestError", ErrorType.VALIDATION_ERROR),
    ("UnprocessableEntityError", ErrorType.VALIDATION_ERROR),
    ("NotFoundError", ErrorType.VALIDATION_ERROR),
    ("APIResponseValidationError", ErrorType.SERVICE_UNAVAILABLE),
)

_HINTS = {
    ErrorType.AUTHENTICATION_ERROR: "Check ALADDIN_LLM_API_KEY (or the provider's key variable).",
    ErrorType.AUTHORIZATION_ERROR: "The key is valid but may not use this model.",
    ErrorType.VALIDATION_ERROR: "Check the model string in the admin (litellm format, e.g. "
    "openai/gpt-4o-mini).",
    ErrorType.NETWORK_ERROR: "Check that the provider (ALADDIN_LLM_API_BASE) is reachable.",
}


def classify(exc: BaseException, model: str) -> AladdinError:
    # The HTTP status is the most reliable signal: litellm picks its exception class
    # from the error text first, so a 401 from a non-OpenAI server can arrive as a
    # BadRequestError. Context-window and timeout classes are kept as they are.
    error_type = _type_of(exc)
    if error_type is not ErrorType.TIMEOUT and _lost_connection(exc):
        error_type = ErrorType.NETWORK_ERROR
    elif error_type not in (ErrorType.CONTEXT_TOO_LARGE, ErrorType.TIMEOUT):
        by_status = _type_from_status(getattr(exc, "status_code", None))
        if by_status is not ErrorType.UNKNOWN_ERROR:
            error_type = by_status
    message = f"{model}: {_short_message(exc)}"
    hint = _HINTS.get(error_type)
    if hint:
        message = f"{message} {hint}"
    details: dict[str, Any] = {"model": model, "exception": type(exc).__name__}
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        details["statusCode"] = status
    return AladdinError(error_type, message, retry_after=retry_after(exc), details=details)


# The connection failed or dropped before any HTTP answer. litellm reports this as an
# InternalServerError ("Connection error.") with status 500; what it wraps says more.
_CONNECTION_FAILURES = frozenset(
    {"APIConnectionError", "ConnectError", "RemoteProtocolError", "ReadError", "WriteError"}
)
_TIMEOUTS = frozenset({"APITimeoutError", "Timeout", "TimeoutException", "ReadTimeout"})


def _lost_connection(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        names = {cls.__name__ for cls in type(current).__mro__}
        if names & _TIMEOUTS:
            return False
        if names & _CONNECTION_FAILURES:
            return True
        current = current.__cause__ or current.__context__
    return False


def _type_of(exc: BaseException) -> ErrorType:
    names = {cls.__name__ for cls in type(exc).__mro__}
    for name, error_type in _BY_CLASS_NAME:
        if name in names:
            return error_type
    return ErrorType.UNKNOWN_ERROR


def _type_from_status(status: object) -> ErrorType:
    if not isinstance(status, int):
        return ErrorType.UNKNOWN_ERROR
    if status == 429:
        return ErrorType.RATE_LIMIT
    if status in (408, 504):
        return ErrorType.TIMEOUT
    if status >= 500:
        return ErrorType.SERVICE_UNAVAILABLE
    if status in (401,):
        return ErrorType.AUTHENTICATION_ERROR
    if status == 403:
        return ErrorType.AUTHORIZATION_ERROR
    if 400 <= status < 500:
        return ErrorType.VALIDATION_ERROR
    return ErrorType.UNKNOWN_ERROR


def retry_after(exc: BaseException) -> float | None:
    """Seconds from the provider's Retry-After header, wherever litellm kept it."""
    for headers in _header_sources(exc):
        value = headers.get("retry-after") or headers.get("Retry-After")
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except (TypeError, ValueError):
            continue
    return None


def _header_sources(exc: BaseException) -> list[Any]:
    sources = []
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "headers", None) is not None:
        sources.append(response.headers)
    for attribute in ("litellm_response_headers", "headers"):
        value = getattr(exc, attribute, None)
        if value is not None and hasattr(value, "get"):
            sources.append(value)
    return sources


def _short_message(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."
