"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def llm_mode(request: HttpRequest) -> dict[str, object]:
    """Tell every page whether agents answer with the built-in demo provider."""
    return {
        "demo_llm": settings.ALADDIN_DEFAULT_MODEL == settings.DEMO_MODEL,
        "default_model": settings.ALADDIN_DEFAULT_MODEL,
    }
