"""The brain's pages: a project's graph for people, search, and staff's read-only Cypher.

The graph is drawn as server-side SVG with a fixed layered layout (project, episodes,
scenes, characters from top to bottom), so the same graph always looks the same and
the page needs no JavaScript.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
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
    PROJECT,
    RELATED_TO,
    SCENE,
    CypherUnsupported,
    Edge,
    GraphError,
    GraphUnavailable,
    Node,
    SearchHit,
    Snapshot,
)
from brain.graph.cypher_guard import CypherRejected
from brain.graph.sync import run_blocking
from brain.models import Episode, Project, Scene

NODE_W, NODE_H, GAP = 156, 34, 22
ROW_Y = {PROJECT: 40, EPISODE: 150, SCENE: 270, CHARACTER: 420}
LABEL_CHARS = 21


@dataclass(frozen=True)
class Box:
    id: str
    kind: str  # css class: project / episode / scene / character
    x: float
    y: float
    text: str
    title: str

    width: int = NODE_W
    height: int = NODE_H

    @property
    def cx(self) -> float:
        return self.x + NODE_W / 2

    @property
    def text_y(self) -> float:
        return self.y + NODE_H / 2 + 4  # 12px text sits visually centred 4px below the middle


@dataclass(frozen=True)
class Line:
    kind: str
    path: str
    label: str
    label_x: float
    label_y: float
    width: float
    title: str


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    boxes: list[Box]
    lines: list[Line]


# ------------------------------------------------------------------------- layout
def short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def node_text(node: Node, titles: Mapping[str, str]) -> str:
    props = node.properties
    if node.label == EPISODE:
        return f"E{props.get('episodeNumber')} · {titles.get(node.id, 'Episode')}"
    if node.label == SCENE:
        return f"S{props.get('sceneNumber')} · {titles.get(node.id, 'Scene')}"
    return str(props.get("name") or node.id)


def row_positions(count: int, width: float) -> list[float]:
    start = (width - (count * (NODE_W + GAP) - GAP)) / 2
    return [start + i * (NODE_W + GAP) for i in range(count)]


def ordered(snapshot: Snapshot, label: str) -> list[Node]:
    nodes = [n for n in snapshot.nodes.values() if n.label == label]
    episode_number = {
        n.id: n.properties.get("episodeNumber", 0)
        for n in snapshot.nodes.values()
        if n.label == EPISODE
    }
    if label == SCENE:
        return sorted(
            nodes,
            key=lambda n: (
                episode_number.get(str(n.properties.get("episodeId")), 0),
                n.properties.get("sceneNumber", 0),
            ),
        )
    if label == EPISODE:
        return sorted(nodes, key=lambda n: n.properties.get("episodeNumber", 0))
    return sorted(nodes, key=lambda n: str(n.properties.get("name", "")).casefold())


def over_children(
    parents: list[Node], xs: list[float], child_xs: Mapping[str, list[float]]
) -> list[float]:
    """Put each episode above the middle of its scenes, keeping order and spacing."""
    placed: list[float] = []
    for node, default in zip(parents, xs, strict=True):
        children = child_xs.get(node.id)
        wanted = sum(children) / len(children) if children else default
        placed.append(max(wanted, placed[-1] + NODE_W + GAP) if placed else wanted)
    return placed


def place_boxes(snapshot: Snapshot, titles: Mapping[str, str]) -> tuple[float, list[Box]]:
    rows = {label: ordered(snapshot, label) for label in ROW_Y}
    columns = max(len(nodes) for nodes in rows.values()) or 1
    width = max(columns * (NODE_W + GAP) + 2 * GAP, 760)
    xs = {label: row_positions(len(nodes), width) for label, nodes in rows.items()}
    scene_xs: dict[str, list[float]] = {}
    for scene, x in zip(rows[SCENE], xs[SCENE], strict=True):
        scene_xs.setdefault(str(scene.properties.get("episodeId")), []).append(x)
    xs[EPISODE] = over_children(rows[EPISODE], xs[EPISODE], scene_xs)
    boxes = []
    for label, nodes in rows.items():
        for node, x in zip(nodes, xs[label], strict=True):
            text = node_text(node, titles)
            boxes.append(
                Box(node.id, label.lower(), x, ROW_Y[label], short(text), f"{label}: {text}")
            )
    return max([width, *(b.x + NODE_W + GAP for b in boxes)]), boxes


def straight(edge: Edge, a: Box, b: Box) -> Line:
    # Every non-RELATED_TO edge points up a row: from the top of a to the bottom of b.
    path = f"M{a.cx:.1f},{a.y:.1f} L{b.cx:.1f},{b.y + NODE_H:.1f}"
    label = str(edge.properties.get("role") or "")
    return Line(
        edge.type.lower(),
        path,
        label,
        (a.cx + b.cx) / 2,
        (a.y + b.y + NODE_H) / 2,
        1.2,
        f"{a.title} {edge.type} {b.title}",
    )


def arc(edge: Edge, a: Box, b: Box) -> Line:
    # Characters share a row, so their links bow below it; farther apart, deeper bow.
    bottom = a.y + NODE_H
    # Right-to-left links bow deeper, so A->B and B->A do not draw over each other.
    depth = 34 + 0.28 * abs(b.cx - a.cx) + (16 if a.cx > b.cx else 0)
    mid = (a.cx + b.cx) / 2
    path = f"M{a.cx:.1f},{bottom:.1f} Q{mid:.1f},{bottom + 2 * depth:.1f} {b.cx:.1f},{bottom:.1f}"
    strength = float(edge.properties.get("strength") or 0.5)
    kind = str(edge.properties.get("type") or "related")
    return Line(
        "related_to",
        path,
        kind,
        mid,
        bottom + depth + 4,
        1 + 3 * strength,
        f"{a.title} {kind} ({strength:.2f}) {b.title}",
    )


def graph_layout(snapshot: Snapshot, titles: Mapping[str, str]) -> Layout:
    width, boxes = place_boxes(snapshot, titles)
    by_id = {box.id: box for box in boxes}
    lines = [
        (arc if edge.type == RELATED_TO else straight)(edge, by_id[edge.source], by_id[edge.target])
        for edge in snapshot.edges.values()
        if edge.source in by_id and edge.target in by_id
    ]
    lines.sort(key=lambda line: line.kind == "related_to")  # arcs and their labels on top
    widest = max(
        (
            abs(by_id[e.source].cx - by_id[e.target].cx)
            for e in snapshot.edges.values()
            if e.type == RELATED_TO and e.source in by_id and e.target in by_id
        ),
        default=0,
    )
    height = ROW_Y[CHARACTER] + NODE_H + 2 * (50 + 0.28 * widest) + 30
    return Layout(width, height, boxes, lines)


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
