"""The brain's pages: a project's graph for people, search, and staff's read-only Cypher.

The graph is drawn as server-side SVG laid out by brain/graph_layout.py.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from brain import services
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


@login_required
@require_GET
def project_graph(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(Project, slug=slug)
    query = request.GET.get("q", "").strip()[:500]
    error, snapshot, hits = "", Snapshot(), []
    try:
        snapshot = run_blocking(lambda: services.project_graph(project))
        if query:
            hits = run_blocking(lambda: services.search(project, query, limit=8))
    except GraphError as exc:
        error = str(exc)
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
        "query": query,
        "hits": [hit_json(h) for h in hits],
        "out_of_step": not snapshot.nodes and not error,
    }
    return render(request, "brain/graph.html", context, status=503 if error else 200)


@login_required
@require_GET
def search(request: HttpRequest, slug: str) -> JsonResponse:
    project = get_object_or_404(Project, slug=slug)
    query = request.GET.get("q", "").strip()
    if not query or len(query) > 500:
        return JsonResponse({"error": "Give a query of 1-500 characters as ?q=."}, status=400)
    try:
        limit = min(max(int(request.GET.get("limit", 5)), 1), 50)
    except ValueError:
        return JsonResponse({"error": "limit must be a whole number."}, status=400)
    try:
        hits = run_blocking(lambda: services.search(project, query, limit=limit))
    except GraphError as exc:
        return JsonResponse({"error": str(exc)}, status=503)
    return JsonResponse({"query": query, "results": [hit_json(h) for h in hits]})


@require_http_methods(["GET", "POST"])
def cypher_query(request: HttpRequest) -> HttpResponse:
    """GET: the query page. POST {"query", "params"?, "limit"?}: JSON rows. Staff only."""
    user = request.user
    if not user.is_authenticated:
        if request.method == "GET":
            return redirect_to_login(request.get_full_path())
        return JsonResponse({"error": "Log in as staff to run queries."}, status=401)
    if not user.is_staff:
        if request.method == "GET":
            return HttpResponseForbidden("Only staff may run graph queries.")
        return JsonResponse({"error": "Only staff may run graph queries."}, status=403)
    if request.method == "GET":
        return render(request, "brain/query.html", {"backend": get_backend().name})
    return run_cypher(request)


def query_input(request: HttpRequest) -> tuple[str, dict[str, Any], int]:
    """The query, its parameters and the row limit; ValueError says what is wrong."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except json.JSONDecodeError as exc:
            raise ValueError(f"The body is not JSON: {exc.msg}.") from exc
        if not isinstance(data, dict):
            raise ValueError("The body must be a JSON object.")
    else:
        data = {
            "query": request.POST.get("query", ""),
            "params": json.loads(request.POST.get("params") or "{}"),
            "limit": request.POST.get("limit", 100),
        }
    cypher, params = data.get("query"), data.get("params") or {}
    if not isinstance(cypher, str) or not cypher.strip():
        raise ValueError('Send the Cypher text as "query".')
    if not isinstance(params, dict):
        raise ValueError('"params" must be an object of parameter names and values.')
    limit = data.get("limit", 100)
    if not isinstance(limit, int | str) or not str(limit).isdigit() or not 1 <= int(limit) <= 500:
        raise ValueError('"limit" must be a whole number from 1 to 500.')
    return cypher, params, int(limit)


def run_cypher(request: HttpRequest) -> JsonResponse:
    try:
        cypher, params, limit = query_input(request)
        rows = run_blocking(lambda: services.read_query(cypher, params, limit=limit))
    except (ValueError, CypherRejected) as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except CypherUnsupported as exc:
        return JsonResponse({"error": str(exc)}, status=501)
    except GraphUnavailable as exc:
        return JsonResponse({"error": str(exc)}, status=503)
    except GraphError as exc:  # Neo4j refused it: a syntax error, a write in READ mode
        return JsonResponse({"error": str(exc)}, status=400)
    columns = list(rows[0]) if rows else []
    return JsonResponse(
        {"columns": columns, "rows": rows, "count": len(rows), "truncated": len(rows) >= limit}
    )
