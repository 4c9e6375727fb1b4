"""The brain's graph: one interface, two backends (Neo4j and the embedded default).

Schema of spec 4.3, plus `Location` and `Element` with `SET_IN` and `NEEDED_IN`
for imported scripts (docs/architecture.md): the labels, their properties and the
relationship types below are the only ones the product writes (plus `BrainDocument`, the
searchable document of spec 3.2, which lives beside the graph, not in it).
Labels and relationship types are code constants; they are the only names
ever formatted into a Cypher string, and only after `require_label` /
`require_rel_type` has checked them. Everything else travels as parameters.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

PROJECT: Final = "Project"
EPISODE: Final = "Episode"
SCENE: Final = "Scene"
CHARACTER: Final = "Character"
# Ours, beyond spec 4.3: where scenes are set and what they need (docs/architecture.md).
LOCATION: Final = "Location"
ELEMENT: Final = "Element"
NODE_LABELS: Final = (PROJECT, EPISODE, SCENE, CHARACTER, LOCATION, ELEMENT)

APPEARS_IN: Final = "APPEARS_IN"
RELATED_TO: Final = "RELATED_TO"
BELONGS_TO: Final = "BELONGS_TO"
PART_OF: Final = "PART_OF"
CREATED_IN: Final = "CREATED_IN"
SET_IN: Final = "SET_IN"
NEEDED_IN: Final = "NEEDED_IN"
REL_TYPES: Final = (APPEARS_IN, RELATED_TO, BELONGS_TO, PART_OF, CREATED_IN, SET_IN, NEEDED_IN)

# Node properties per label (spec 4.3). `type` is the lower-case label.
NODE_PROPERTIES: Final[Mapping[str, frozenset[str]]] = {
    PROJECT: frozenset({"id", "slug", "name", "type"}),
    EPISODE: frozenset({"id", "episodeNumber", "projectId", "type"}),
    SCENE: frozenset({"id", "sceneNumber", "episodeId", "projectId", "type"}),
    CHARACTER: frozenset({"id", "name", "projectId", "type"}),
    LOCATION: frozenset({"id", "name", "projectId", "type"}),
    ELEMENT: frozenset({"id", "name", "category", "projectId", "type"}),
}
# (source label, target label, properties) per relationship type (spec 4.3).
REL_SHAPES: Final[Mapping[str, tuple[str, str, frozenset[str]]]] = {
    APPEARS_IN: (CHARACTER, SCENE, frozenset({"role"})),
    RELATED_TO: (CHARACTER, CHARACTER, frozenset({"type", "strength"})),
    BELONGS_TO: (SCENE, EPISODE, frozenset()),
    PART_OF: (EPISODE, PROJECT, frozenset()),
    CREATED_IN: (CHARACTER, PROJECT, frozenset()),
    SET_IN: (SCENE, LOCATION, frozenset()),
    NEEDED_IN: (ELEMENT, SCENE, frozenset({"evidence", "fate"})),
}
# Which outgoing relationships a node of each label owns: syncing a node from the
# database replaces exactly these (spec 4.3 draws every edge from its owner).
OWNED_RELS: Final[Mapping[str, tuple[str, ...]]] = {
    PROJECT: (),
    EPISODE: (PART_OF,),
    SCENE: (BELONGS_TO, SET_IN),
    CHARACTER: (CREATED_IN, RELATED_TO, APPEARS_IN),
    LOCATION: (),
    ELEMENT: (NEEDED_IN,),
}
DOCUMENT_LABEL: Final = "BrainDocument"
DOCUMENT_TYPES: Final = ("project", "episode", "scene", "character")
EMBEDDING_DIMENSIONS: Final = 384


class GraphError(Exception):
    """The graph refused or failed an operation; the message says why."""


class GraphIntegrityError(GraphError):
    """A write referred to a node that does not exist; nothing was written."""


class GraphUnavailable(GraphError):
    """The graph server cannot be reached."""


class CypherUnsupported(GraphError):
    """This backend cannot run Cypher (the embedded backend)."""


def require_label(label: str) -> str:
    if label not in NODE_LABELS:
        raise GraphError(f"Unknown node label {label!r}.")
    return label


def require_rel_type(rel_type: str) -> str:
    if rel_type not in REL_TYPES:
        raise GraphError(f"Unknown relationship type {rel_type!r}.")
    return rel_type


@dataclass(frozen=True)
class Node:
    label: str
    id: str
    properties: Mapping[str, Any]

    @property
    def project_id(self) -> str:
        return str(self.properties.get("projectId") or self.id)


EdgeKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class Edge:
    """A relationship. RELATED_TO is keyed by its `type` too: two characters can be
    both siblings and rivals, as the database's unique constraint allows."""

    type: str
    source: str
    target: str
    properties: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> EdgeKey:
        kind = str(self.properties.get("type", "")) if self.type == RELATED_TO else ""
        return (self.type, self.source, self.target, kind)


@dataclass
class Snapshot:
    """Some nodes and the relationships touching them."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[EdgeKey, Edge] = field(default_factory=dict)

    def add_node(self, node: Node) -> None:
        self.nodes[node.id] = node

    def add_edge(self, edge: Edge) -> None:
        self.edges[edge.key] = edge

    def edges_of(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges.values() if node_id in (e.source, e.target)]


@dataclass(frozen=True)
class Document:
    """The brain document of spec 3.2, with its embedding."""

    id: str
    type: str
    project_id: str
    text: str
    metadata: Mapping[str, Any]
    relationships: Sequence[Mapping[str, Any]]
    embedding: Sequence[float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "project_id": self.project_id,
            "text": self.text,
            "metadata": dict(self.metadata),
            "relationships": [dict(r) for r in self.relationships],
        }


@dataclass(frozen=True)
class SearchHit:
    document: Document
    score: float  # cosine similarity mapped to [0, 1] as Neo4j does: (1 + cos) / 2


@dataclass
class Plan:
    """One atomic write: all of it lands or none of it does."""

    upsert_nodes: list[Node] = field(default_factory=list)
    delete_nodes: list[Node] = field(default_factory=list)
    upsert_edges: list[Edge] = field(default_factory=list)
    delete_edges: list[Edge] = field(default_factory=list)
    upsert_documents: list[Document] = field(default_factory=list)
    delete_documents: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.upsert_nodes
            or self.delete_nodes
            or self.upsert_edges
            or self.delete_edges
            or self.upsert_documents
            or self.delete_documents
        )


class GraphBackend(Protocol):
    """What the brain needs from a graph store. Both backends pass tests/brain/test_contract.py."""

    name: str

    async def ensure_schema(self) -> None:
        """Create constraints and indexes if missing; safe to call any number of times."""

    async def fetch(
        self, ids: Collection[str], edges_of: Collection[str] | None = None
    ) -> Snapshot:
        """The nodes with these ids and every relationship touching them, or only the
        relationships touching `edges_of` (a sync of a few nodes needs its far ends'
        nodes, not their other relationships: a project node's are the whole project)."""

    async def fetch_project(self, project_id: str) -> Snapshot:
        """A project's node, the nodes carrying its projectId, and their relationships."""

    async def project_ids(self) -> set[str]:
        """Every project id present in the graph (from Project nodes or projectId)."""

    async def apply(self, plan: Plan) -> None:
        """Write the plan in one transaction; raise GraphIntegrityError, writing
        nothing, if a relationship's endpoint is missing."""

    async def get_document(self, document_id: str) -> Document | None: ...

    async def document_ids(self, project_id: str) -> set[str]: ...

    async def search(
        self,
        project_id: str,
        vector: Sequence[float],
        limit: int,
        types: Collection[str] | None = None,
    ) -> list[SearchHit]:
        """The project's documents nearest to `vector`, best first."""

    async def read_query(
        self, cypher: str, params: Mapping[str, Any], limit: int
    ) -> list[dict[str, Any]]:
        """Run Cypher in a read-only transaction; CypherUnsupported where there is none."""

    async def close(self) -> None: ...
