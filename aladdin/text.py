"""Small helpers for text shown to people."""

from __future__ import annotations


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`1 scene`, `2 scenes`, `1,200 tokens`: the count with the right form of the noun."""
    word = noun if count == 1 else (plural_form or f"{noun}s")
    return f"{count:,} {word}"
