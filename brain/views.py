"""The brain's pages: a project's graph, search, and the read-only Cypher console.

Every page checks brain.access: `project:read` on the project for the graph and
search (an inactive project stays hidden, 404, unless the policy lets the user see
it), `system:admin` plus `project:read` on the chosen project for the console.
The graph is drawn as server-side SVG laid out by brain/graph_layout.py.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from brain import console, services
from brain.access import AccessDenied, has_permission, readable_projects, require
from brain.embeddings import EmbeddingError
from brain.graph import get_backend
from brain.graph.base import (
    CHARACTER,
    EPISODE,
    SCENE,
    CypherUnsupported,
    GraphError,
    GraphUnavailable,
    SearchHit,
    Snapshot,
)
from brain.graph.cypher_guard import CypherRejected
from brain.graph.sync import run_blocking
from brain.graph_layout import graph_layout
from brain.models import Episode, Project, Scene


def titles_for(project: Project) -> dict[str, str]:
    titles = {
        str(uid): title
        for uid, title in Episode.objects.filter(project=project).values_list("uid", "title")
    }
    titles |= {
        str(uid): title
        for uid, title in Scene.objects.filter(episode__project=project).values_list("uid", "title")
    }
    return titles


# ------------------------------------------------------------------------- access
def wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def refusal(request: HttpRequest, status: int, message: str, *, json: bool) -> HttpResponse:
    """401/403/404 as JSON for JSON clients, else the login page or a plain page."""
    if status == 401 and not json:
        return redirect_to_login(request.get_full_path())
    if json:
        return JsonResponse({"error": message}, status=status)
    if status == 404:
        raise Http404(message)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def readable_project(request: HttpRequest, slug: str, *, json: bool) -> Project | HttpResponse:
    """The project if the user may read it; a 401, 403 or 404 answer if not.

    A project the user may not read is 403 while active (the answer names the
    permission to ask for) and 404 while inactive, as if it did not exist.
    """
    if not request.user.is_authenticated:
        return refusal(request, 401, "Log in to see this project.", json=json)
    project = Project.objects.filter(slug=slug).first()
    if project is None or (
        not project.is_active and not has_permission(request.user, "project:read", project)
    ):
        return refusal(request, 404, "No such project.", json=json)
    try:
        require(request.user, "project:read", project)
    except AccessDenied as exc:
        return refusal(request, 403, str(exc), json=json)
    return project


# -------------------------------------------------------------------------- pages
def hit_json(hit: SearchHit) -> dict[str, Any]:
    document = hit.document
    return {
        "id": document.id,
        "type": document.type,
        "score": round(hit.score, 4),
        "title": document.text.split("\n", 1)[0],
        "summary": document.metadata.get("summary", ""),
    }


@require_GET
def project_graph(request: HttpRequest, slug: str) -> HttpResponse:
    project = readable_project(request, slug, json=wants_json(request))
    if isinstance(project, HttpResponse):
        return project
    query = request.GET.get("q", "").strip()[:500]
    error, search_error, snapshot, hits = "", "", Snapshot(), []
    try:
        snapshot = run_blocking(lambda: services.project_graph(project))
        if query:
            hits = run_blocking(lambda: services.search(project, query, limit=8))
    except GraphError as exc:
        error = str(exc)
    except EmbeddingError as exc:  # the graph is shown; only the search failed
        search_error = str(exc)
    counts = {
        label: sum(1 for n in snapshot.nodes.values() if n.label == label)
        for label in (EPISODE, SCENE, CHARACTER)
    }
    context = {
        "project": project,
        "layout": graph_layout(snapshot, titles_for(project)),
        "counts": counts,
        "edge_count": len(snapshot.edges),
        "backend": get_backend().name,
        "error": error,
        "search_error": search_error,
        "query": query,
        "hits": [hit_json(h) for h in hits],
        "out_of_step": not snapshot.nodes and not error,
    }
    failed = error or search_error
    return render(request, "brain/graph.html", context, status=503 if failed else 200)


@require_GET
def search(request: HttpRequest, slug: str) -> HttpResponse:
    if request.get_preferred_type(["application/json", "text/html"]) == "text/html":
        # People (browsers) get the results on the project's graph page; clients get JSON.
        graph = reverse("brain:graph", args=[slug])
        return redirect(f"{graph}?{urlencode({'q': request.GET.get('q', '')})}")
    project = readable_project(request, slug, json=True)
    if isinstance(project, HttpResponse):
        return project
    query = request.GET.get("q", "").strip()
    if not query or len(query) > 500:
        return JsonResponse({"error": "Give a query of 1-500 characters as ?q=."}, status=400)
    try:
        limit = min(max(int(request.GET.get("limit", 5)), 1), 50)
    except ValueError:
        return JsonResponse({"error": "limit must be a whole number."}, status=400)
    try:
        hits = run_blocking(lambda: services.search(project, query, limit=limit))
    except (GraphError, EmbeddingError) as exc:
        return JsonResponse({"error": str(exc)}, status=503)
    return JsonResponse({"query": query, "results": [hit_json(h) for h in hits]})


# ------------------------------------------------------------------------ console
MAX_CONSOLE_BODY = 64 * 1024


@require_http_methods(["GET", "POST"])
def cypher_query(request: HttpRequest) -> HttpResponse:
    """GET: the console page. POST {"project", "query", "params"?, "limit"?}: JSON rows.

    Needs `system:admin`, and `project:read` on the chosen project.
    """
    is_page = request.method == "GET"
    user = request.user
    if not user.is_authenticated:
        return refusal(request, 401, "Log in to run graph queries.", json=not is_page)
    try:
        require(user, "system:admin")
    except AccessDenied as exc:
        return refusal(request, 403, str(exc), json=not is_page)
    if is_page:
        projects = readable_projects(user).order_by("name")
        context = {"backend": get_backend().name, "projects": projects}
        return render(request, "brain/query.html", context)
    return run_cypher(request)


def query_input(request: HttpRequest) -> dict[str, Any]:
    """The request's fields as a dict; ValueError says what is wrong with the body."""
    if len(request.body) > MAX_CONSOLE_BODY:
        raise ValueError(f"The body is larger than {MAX_CONSOLE_BODY // 1024} KB.")
    if request.content_type != "application/json":
        return {
            "project": request.POST.get("project", ""),
            "query": request.POST.get("query", ""),
            "params": parse_json(request.POST.get("params") or "{}", "params"),
            "limit": request.POST.get("limit", 100),
        }
    data = parse_json(request.body or b"{}", "The body")
    if not isinstance(data, dict):
        raise ValueError("The body must be a JSON object.")
    return data


def parse_json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{what} is not JSON: {exc}.") from exc
    except RecursionError as exc:
        raise ValueError(f"{what} is nested too deeply.") from exc


def checked_input(data: dict[str, Any]) -> tuple[str, str, dict[str, Any], int]:
    """(project slug, query, params, limit); ValueError says what is wrong."""
    slug, cypher, params = data.get("project"), data.get("query"), data.get("params") or {}
    if not isinstance(slug, str) or not slug.strip():
        raise ValueError('Choose the project to query as "project" (its slug).')
    if not isinstance(cypher, str) or not cypher.strip():
        raise ValueError('Send the Cypher text as "query".')
    if not isinstance(params, dict):
        raise ValueError('"params" must be an object of parameter names and values.')
    limit = data.get("limit", 100)
    if not isinstance(limit, int | str) or not str(limit).isdigit() or not 1 <= int(limit) <= 500:
        raise ValueError('"limit" must be a whole number from 1 to 500.')
    return slug.strip(), cypher, params, int(limit)


def run_cypher(request: HttpRequest) -> HttpResponse:
    try:
        slug, cypher, params, limit = checked_input(query_input(request))
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    project = readable_project(request, slug, json=True)
    if isinstance(project, HttpResponse):
        return project
    try:
        rows = console.run_query(request.user, project, cypher, params, limit)
    except (ValueError, CypherRejected) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except CypherUnsupported as exc:
        return JsonResponse({"error": str(exc)}, status=501)
    except GraphUnavailable as exc:
        return JsonResponse({"error": str(exc)}, status=503)
    except GraphError as exc:  # Neo4j refused it (bad Cypher, a write) or it timed out
        return JsonResponse({"error": str(exc)}, status=400)
    columns = list(rows[0]) if rows else []
    return JsonResponse(
        {
            "project": project.slug,
            "columns": columns,
            "rows": rows,
            "count": len(rows),
            "truncated": len(rows) >= limit,
        }
    )
