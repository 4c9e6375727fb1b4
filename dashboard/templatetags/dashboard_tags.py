"""Formatting for the dashboard's templates: scores, money, runs."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import template

from executions import results
from executions.models import Execution

register = template.Library()
NONE = "\u2013"  # an en dash: no value


def _missing(value: object) -> bool:
    # A template variable that does not resolve arrives as "" (string_if_invalid).
    return value is None or value == ""


@register.filter
def score(value: float | str | None) -> str:
    return NONE if _missing(value) else f"{float(value or 0):.0f}"


@register.filter
def fraction_score(value: float | str | None) -> str:
    """Event and report scores are fractions (0..1); people read 0-100."""
    return NONE if _missing(value) else f"{float(value or 0) * 100:.0f}"


@register.filter
def thousands(value: int | None) -> str:
    return "0" if not value else f"{int(value):,}"


@register.filter
def usd(value: Decimal | float | str | None) -> str:
    if _missing(value):
        return "unknown"
    amount = float(value or 0)
    return "$0" if amount == 0 else f"${amount:.4f}"


@register.filter
def overall(run: Execution) -> str:
    return score(results.run_score(run))


@register.filter
def recommendation(run: Execution) -> str:
    return results.recommendation(run)


@register.filter
def duration(run: Execution) -> str:
    ms = run.execution_time
    if ms is None and run.started_at and run.completed_at:
        ms = int((run.completed_at - run.started_at).total_seconds() * 1000)
    if ms is None:
        return NONE
    seconds = ms / 1000
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {int(seconds % 60)} s"


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
