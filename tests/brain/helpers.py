"""Small builders for brain tests: a spec 4.3 graph, documents, vectors."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from brain.graph.base import (
    APPEARS_IN,
    BELONGS_TO,
    CHARACTER,
    CREATED_IN,
    EPISODE,
    PART_OF,
    PROJECT,
    RELATED_TO,
    SCENE,
    Document,
    Edge,
    GraphBackend,
    Node,
    Plan,
)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class StoryGraph:
    project: Node
    episode: Node
    scene: Node
    hero: Node
    villain: Node
    edges: list[Edge]

    @property
    def nodes(self) -> list[Node]:
        return [self.project, self.episode, self.scene, self.hero, self.villain]

    def plan(self) -> Plan:
        return Plan(upsert_nodes=list(self.nodes), upsert_edges=list(self.edges))


def story_graph(slug: str = "movie-xyz") -> StoryGraph:
    """Spec 4.3's example: a project, an episode, a scene, a hero and a villain."""
    pid, eid, sid, hid, vid = (new_id() for _ in range(5))
    project = Node(PROJECT, pid, {"id": pid, "slug": slug, "name": "Movie XYZ", "type": "project"})
    episode = Node(
        EPISODE, eid, {"id": eid, "episodeNumber": 1, "projectId": pid, "type": "episode"}
    )
    scene = Node(
        SCENE,
        sid,
        {"id": sid, "sceneNumber": 1, "episodeId": eid, "projectId": pid, "type": "scene"},
    )
    hero = Node(CHARACTER, hid, {"id": hid, "name": "Hero", "projectId": pid, "type": "character"})
    villain = Node(
        CHARACTER, vid, {"id": vid, "name": "Villain", "projectId": pid, "type": "character"}
    )
    edges = [
        Edge(PART_OF, eid, pid),
        Edge(BELONGS_TO, sid, eid),
        Edge(CREATED_IN, hid, pid),
        Edge(CREATED_IN, vid, pid),
        Edge(APPEARS_IN, hid, sid, {"role": "lead"}),
        Edge(APPEARS_IN, vid, sid, {"role": "supporting"}),
        Edge(RELATED_TO, hid, vid, {"type": "enemy", "strength": 0.9}),
    ]
    return StoryGraph(project, episode, scene, hero, villain, edges)


def unit(*weights: float, dimensions: int = 384) -> list[float]:
    """A unit vector whose first components are `weights`."""
    values = [*weights, *([0.0] * (dimensions - len(weights)))]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


def document(node: Node, vector: list[float], text: str = "") -> Document:
    return Document(
        id=node.id,
        type=node.properties["type"],
        project_id=node.project_id,
        text=text or f"{node.label} {node.id}",
        metadata={"summary": "s", "tags": ["a"]},
        relationships=[{"kind": "CREATED_IN", "to": node.project_id}],
        embedding=vector,
    )


def character_documents(
    project_uid: str, texts: Sequence[str], vectors: Sequence[Sequence[float]]
) -> list[Document]:
    """One character document per text, its summary its text, ready for a Plan."""
    return [
        Document(
            id=new_id(),
            type="character",
            project_id=project_uid,
            text=text,
            metadata={"summary": text},
            relationships=[],
            embedding=list(vector),
        )
        for text, vector in zip(texts, vectors, strict=True)
    ]


async def wipe(backend: GraphBackend, project_id: str) -> None:
    """Remove a project's nodes, relationships and documents from a backend."""
    snapshot = await backend.fetch_project(project_id)
    documents = await backend.document_ids(project_id)
    await backend.apply(
        Plan(delete_nodes=list(snapshot.nodes.values()), delete_documents=sorted(documents))
    )
