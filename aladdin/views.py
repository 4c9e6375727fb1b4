"""Site-level pages: the home page and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from agents.models import Agent
from brain.models import Project
from departments.models import Department


def home(request: HttpRequest) -> HttpResponse:
    departments = Department.objects.filter(is_active=True).prefetch_related("agents")
    context = {
        "departments": departments,
        "agent_count": Agent.objects.count(),
        "projects": Project.objects.filter(is_active=True),
    }
    return render(request, "home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers; the LLM breakers' states."""
    from django.conf import settings

    from agents.runtime import BREAKERS

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as exc:  # the point is to report any failure, not raise it
        database = f"error: {exc}"
    status = 200 if database == "ok" else 503
    breakers = BREAKERS.snapshot()
    llm = {
        "defaultModel": settings.ALADDIN_DEFAULT_MODEL,
        "demo": settings.ALADDIN_DEFAULT_MODEL == settings.DEMO_MODEL,
        "openCircuits": [b["name"] for b in breakers if b["state"] != "closed"],
        "breakers": breakers,
    }
    body = {"status": "ok" if status == 200 else "degraded", "database": database, "llm": llm}
    return JsonResponse(body, status=status)
