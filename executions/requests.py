"""The one validator for orchestration requests (spec 10.2).

Every entry point (the `orchestrate` command, the REST API, the dashboard's
form) checks a request here before anything is written, so a refused request
leaves no row behind and every edge reports the same reasons.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROMPT_MAX_CHARS = 10_000
MAX_TOKENS_RANGE = (100, 50_000)
QUALITY_RANGE = (0.0, 100.0)
PRIORITIES = ("low", "medium", "high", "urgent")


@dataclass(frozen=True)
class RequestOptions:
    priority: str = "medium"
    max_tokens: int | None = None
    quality_threshold: float | None = None


@dataclass(frozen=True)
class ValidRequest:
    prompt: str
    options: RequestOptions


class RequestInvalid(ValueError):
    """Field name (as the API spells it) -> reasons. `str()` is one readable line."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(why)}" for field, why in errors.items()))


def validate_request(prompt: Any, options: Mapping[str, Any] | None = None) -> ValidRequest:
    """Check a request's text and options (camelCase keys, as in ExecuteRequestBody)."""
    errors: dict[str, list[str]] = {}
    text = _prompt(prompt, errors)
    options = options or {}
    unknown = sorted(set(options) - {"priority", "maxTokens", "qualityThreshold", "wait"})
    if unknown:
        errors["options"] = [f"Unknown option(s): {', '.join(unknown)}."]
    priority = options.get("priority")
    if priority is None:
        priority = "medium"
    elif priority not in PRIORITIES:
        errors["priority"] = [f"Must be one of {', '.join(PRIORITIES)}."]
    max_tokens = _int_in_range(options.get("maxTokens"), MAX_TOKENS_RANGE, "maxTokens", errors)
    threshold = _number_in_range(
        options.get("qualityThreshold"), QUALITY_RANGE, "qualityThreshold", errors
    )
    if errors:
        raise RequestInvalid(errors)
    return ValidRequest(
        prompt=text,
        options=RequestOptions(
            priority=str(priority), max_tokens=max_tokens, quality_threshold=threshold
        ),
    )


def _prompt(value: Any, errors: dict[str, list[str]]) -> str:
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            errors["userPrompt"] = ["Must be UTF-8 text."]
            return ""
    if not isinstance(value, str):
        errors["userPrompt"] = ["Must be text."]
        return ""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8, smuggled in as surrogates
        errors["userPrompt"] = ["Must be UTF-8 text; this contains bytes that are not."]
        return ""
    text = value.strip()
    if not text:
        errors["userPrompt"] = ["Write what you want the team to do; the request is empty."]
    elif len(text) > PROMPT_MAX_CHARS:
        errors["userPrompt"] = [
            f"At most {PROMPT_MAX_CHARS:,} characters; this one has {len(text):,}."
        ]
    elif "\x00" in text:
        errors["userPrompt"] = ["Must not contain NUL characters."]
    return text


def _int_in_range(
    value: Any, bounds: tuple[int, int], field: str, errors: dict[str, list[str]]
) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            errors[field] = ["Must be a whole number."]
            return None
    low, high = bounds
    if not low <= value <= high:
        errors[field] = [f"Must be between {low:,} and {high:,}."]
        return None
    return int(value)


def _number_in_range(
    value: Any, bounds: tuple[float, float], field: str, errors: dict[str, list[str]]
) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors[field] = ["Must be a number."]
        return None
    low, high = bounds
    if not low <= value <= high:
        errors[field] = [f"Must be between {low:g} and {high:g}."]
        return None
    return float(value)
