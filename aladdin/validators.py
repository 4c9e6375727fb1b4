"""Validators shared by several apps' models and forms."""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator

HEX_COLOUR_PATTERN = r"^#[0-9A-Fa-f]{6}$"

hex_colour = RegexValidator(
    HEX_COLOUR_PATTERN, "Enter a hex colour such as #1f77b4 (a # and six hex digits)."
)
score_0_100 = [MinValueValidator(0), MaxValueValidator(100)]
fraction_0_1 = [MinValueValidator(0.0), MaxValueValidator(1.0)]
priority_1_10 = [MinValueValidator(1), MaxValueValidator(10)]


def is_uuid(value: str) -> bool:
    """Whether `value` parses as a UUID (a run's or an entity's id)."""
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True
