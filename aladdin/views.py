"""Site-level pages: the projects home page and the health check."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from brain.access import has_permission
from dashboard.selectors import project_cards


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Each project the user may read: recent requests, spend today, links."""
    cards = project_cards(request.user)
    return render(request, "home.html", {"cards": cards})


def wants_html(request: HttpRequest) -> bool:
    """People's browsers ask for HTML first; clients (and */*) get JSON."""
    return request.get_preferred_type(["application/json", "text/html"]) == "text/html"


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for anyone; the database and LLM breakers for `system:metrics`."""
    database = _database_state()
    status = 200 if database == "ok" else 503
    body: dict[str, Any] = {"status": "ok" if status == 200 else "degraded"}
    detailed = has_permission(request.user, "system:metrics")
    if detailed:
        body |= {"database": database, "llm": _llm_state()}
    if wants_html(request):
        context = {"health": body, "detailed": detailed}
        return render(request, "health.html", context, status=status)
    return JsonResponse(body, status=status)


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # the point is to report any failure, not raise it
        return f"error: {exc}"
    return "ok"


def _llm_state() -> dict[str, Any]:
    from agents.runtime import BREAKERS

    breakers = BREAKERS.snapshot()
    return {
        "defaultModel": settings.ALADDIN_DEFAULT_MODEL,
        "demo": settings.ALADDIN_DEFAULT_MODEL == settings.DEMO_MODEL,
        "openCircuits": [b["name"] for b in breakers if b["state"] != "closed"],
        "breakers": breakers,
    }
