"""Task complexity and model tiers (spec 7.3).

Cheap tasks go to a cheap model; the score decides the tier, and the admin
maps each tier to a concrete model name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from engine import jsontext

COMPLEX_KEYWORDS: Final = ("analyze", "synthesize", "creative", "comprehensive")
LONG_TASK_CHARACTERS: Final = 500
LARGE_CONTEXT_CHARACTERS: Final = 10_000
_STEP_SEPARATORS: Final = re.compile(r"\n|;|and then|next|after that", re.IGNORECASE)


@dataclass(frozen=True)
class Complexity:
    score: int  # 0..100
    factors: tuple[str, ...]


class ModelTier(StrEnum):
    SIMPLE = "simple"
    STANDARD = "standard"
    PREMIUM = "premium"


def _context_size(context: Mapping[str, Any] | None) -> int:
    if context is None:
        return 0
    # Compact separators and raw Unicode match JSON.stringify's length.
    return len(jsontext.dumps(context, default=str))


def assess_complexity(task: str, context: Mapping[str, Any] | None) -> Complexity:
    """Spec assessComplexity, rule for rule."""
    score = 0
    factors: list[str] = []
    if len(task) > LONG_TASK_CHARACTERS:
        score += 20
        factors.append("Long task description")
    if _context_size(context) > LARGE_CONTEXT_CHARACTERS:
        score += 25
        factors.append("Large context")
    lowered = task.lower()
    found = [keyword for keyword in COMPLEX_KEYWORDS if keyword in lowered]
    score += len(found) * 10
    if found:
        factors.append(f"Complex requirements: {', '.join(found)}")
    if len(_STEP_SEPARATORS.split(task)) > 3:
        score += 15
        factors.append("Multi-step task")
    return Complexity(score=min(score, 100), factors=tuple(factors))


def tier_for_score(score: int) -> ModelTier:
    if score < 30:
        return ModelTier.SIMPLE
    if score < 70:
        return ModelTier.STANDARD
    return ModelTier.PREMIUM


_NEXT_TIER: Final = {
    ModelTier.SIMPLE: ModelTier.STANDARD,
    ModelTier.STANDARD: ModelTier.PREMIUM,
    ModelTier.PREMIUM: ModelTier.PREMIUM,
}


def stronger(tier: ModelTier) -> ModelTier:
    """The next tier up, e.g. for a retry after a rejected output."""
    return _NEXT_TIER[ModelTier(tier)]
