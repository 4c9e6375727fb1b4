"""The project graph's drawing: a fixed layered layout (project, episodes, scenes,
characters from top to bottom) for server-side SVG, so the same graph always looks
the same and the page needs no JavaScript."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from brain.graph.base import CHARACTER, EPISODE, PROJECT, RELATED_TO, SCENE, Edge, Node, Snapshot

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
