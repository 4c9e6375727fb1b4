"""The embedded graph backend: spec 4.3's graph in the project's own database.

The default when NEO4J_URL is unset, so a fresh install has a working brain with
no server. Nodes and relationships are rows (brain.models.GraphNode/GraphEdge);
a relationship's foreign keys CASCADE, which gives DETACH DELETE for free. Search
is an exact cosine over the project's documents. Cypher is not available here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.db.models import Model, Q

from brain.graph.base import (
    PROJECT,
    REL_TYPES,
    CypherUnsupported,
    Document,
    Edge,
    GraphIntegrityError,
    Node,
    Plan,
    SearchHit,
    Snapshot,
)
from brain.models import BrainDocument, GraphEdge, GraphNode
from engine import jsontext


class EmbeddedBackend:
    name = "embedded"

    async def ensure_schema(self) -> None:
        """The schema is the migration's tables and unique constraints."""

    async def fetch(
        self, ids: Collection[str], edges_of: Collection[str] | None = None
    ) -> Snapshot:
        return await sync_to_async(fetch_nodes)(list(ids), edges_of)

    async def fetch_project(self, project_id: str) -> Snapshot:
        return await sync_to_async(fetch_project)(project_id)

    async def project_ids(self) -> set[str]:
        return await sync_to_async(project_ids)()

    async def apply(self, plan: Plan) -> None:
        if not plan.empty:
            await sync_to_async(apply_plan)(plan)

    async def get_document(self, document_id: str) -> Document | None:
        return await sync_to_async(fetch_document)(document_id)

    async def document_ids(self, project_id: str) -> set[str]:
        rows = BrainDocument.objects.filter(project_uid=project_id).values_list("doc_id", flat=True)
        return {doc_id async for doc_id in rows}

    async def search(
        self,
        project_id: str,
        vector: Sequence[float],
        limit: int,
        types: Collection[str] | None = None,
    ) -> list[SearchHit]:
        return await sync_to_async(exact_search)(project_id, vector, limit, types)

    async def read_query(
        self, cypher: str, params: Mapping[str, Any], limit: int
    ) -> list[dict[str, Any]]:
        raise CypherUnsupported(
            "Cypher queries need the Neo4j backend: set NEO4J_URL (and NEO4J_USER, "
            "NEO4J_PASSWORD) and run `python manage.py brain_sync`. The embedded graph "
            "backend has no query language."
        )

    async def close(self) -> None:
        """Nothing to close: the database connection belongs to Django."""


# ----------------------------------------------------------------------------- reads
# Reads are fixed SQL returning plain values: a sync or a brain document's context
# reads a few nodes and their relationships many times a second under load, and
# through the ORM each read was a query built and compiled anew (about 0.4 ms of CPU
# for the two of them, 5% of a busy process).
NodeRow = tuple[int, str, str, Any]  # pk, label, node_id, properties


def _node_rows(where: str, params: list[Any]) -> list[NodeRow]:
    nodes = _table(GraphNode)
    sql = (
        f"SELECT id, label, node_id, properties FROM {nodes} WHERE {where} ORDER BY label, node_id"
    )
    return [(pk, label, node_id, _json(props)) for pk, label, node_id, props in _rows(sql, params)]


def edges_touching(pks: Collection[int]) -> list[Edge]:
    if not pks:
        return []
    edges, nodes, marks = _table(GraphEdge), _table(GraphNode), _marks(len(pks))
    sql = (
        f"SELECT e.type, s.node_id, t.node_id, e.properties FROM {edges} e "
        f"JOIN {nodes} s ON s.id = e.source_id JOIN {nodes} t ON t.id = e.target_id "
        f"WHERE (e.source_id IN ({marks}) OR e.target_id IN ({marks})) "
        f"AND e.type IN ({_marks(len(REL_TYPES))})"
    )
    rows = _rows(sql, [*pks, *pks, *REL_TYPES])
    return [Edge(type_, source, target, _json(props)) for type_, source, target, props in rows]


def snapshot_of(rows: list[NodeRow], edges_of: Collection[str] | None = None) -> Snapshot:
    snapshot = Snapshot()
    for _, label, node_id, properties in rows:
        snapshot.add_node(Node(label=label, id=node_id, properties=properties))
    touching = [pk for pk, _, node_id, _ in rows if edges_of is None or node_id in edges_of]
    for edge in edges_touching(touching):
        snapshot.add_edge(edge)
    return snapshot


def fetch_nodes(ids: list[str], edges_of: Collection[str] | None = None) -> Snapshot:
    rows = _node_rows(f"node_id IN ({_marks(len(ids))})", list(ids)) if ids else []
    return snapshot_of(rows, None if edges_of is None else set(edges_of))


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _marks(count: int) -> str:
    return ", ".join(["%s"] * count)


def fetch_document(document_id: str) -> Document | None:
    """Every brain document starts by reading its entity's previous document."""
    found = _documents("doc_id = %s", [document_id])
    return next(iter(found.values()), None)


def _documents(where: str, params: list[Any]) -> dict[int, Document]:
    """The matching documents by row id, read by fixed SQL."""
    columns = "id, doc_id, type, project_uid, text, metadata, relationships, embedding"
    sql = f"SELECT {columns} FROM {_table(BrainDocument)} WHERE {where}"
    return {
        pk: Document(
            id=doc_id,
            type=type_,
            project_id=project_uid,
            text=text,
            metadata=_json(metadata),
            relationships=_decoded(relationships) or [],
            embedding=_decoded(embedding) or [],
        )
        for pk, doc_id, type_, project_uid, text, metadata, relationships, embedding in _rows(
            sql, params
        )
    }


def _decoded(value: Any) -> Any:
    """A JSON column's value: text on SQLite and (as Django sets up psycopg) on
    PostgreSQL, parsed as Django's JSONField would."""
    return jsontext.loads(value) if isinstance(value, str | bytes) else value


def _json(value: Any) -> dict[str, Any]:
    found = _decoded(value)
    return dict(found) if isinstance(found, dict) else {}


def fetch_project(project_id: str) -> Snapshot:
    return snapshot_of(_node_rows("project_uid = %s", [project_id]))


def project_ids() -> set[str]:
    return set(GraphNode.objects.values_list("project_uid", flat=True).distinct())


# ----------------------------------------------------------------------------- writes
@transaction.atomic
def apply_plan(plan: Plan) -> None:
    delete_edges(plan.delete_edges)
    deleted = [node.id for node in plan.delete_nodes]
    GraphNode.objects.filter(node_id__in=deleted).delete()
    gone_projects = [node.id for node in plan.delete_nodes if node.label == PROJECT]
    BrainDocument.objects.filter(Q(doc_id__in=deleted) | Q(project_uid__in=gone_projects)).delete()
    upsert_nodes(plan.upsert_nodes)
    upsert_edges(plan.upsert_edges)
    upsert_documents(plan.upsert_documents)
    BrainDocument.objects.filter(doc_id__in=plan.delete_documents).delete()


def upsert_nodes(nodes: list[Node]) -> None:
    """One INSERT ... ON CONFLICT DO UPDATE for all of them (a plan writes a run's
    results at once); a node listed twice keeps its last properties, as MERGE would."""
    rows = {
        (node.label, node.id): GraphNode(
            label=node.label,
            node_id=node.id,
            project_uid=node.project_id,
            properties=dict(node.properties),
        )
        for node in nodes
    }
    GraphNode.objects.bulk_create(
        list(rows.values()),
        update_conflicts=True,
        unique_fields=["label", "node_id"],
        update_fields=["project_uid", "properties"],
    )


def node_pks(edges: list[Edge]) -> dict[str, int]:
    ids = {e.source for e in edges} | {e.target for e in edges}
    return dict(GraphNode.objects.filter(node_id__in=ids).values_list("node_id", "pk"))


def upsert_edges(edges: list[Edge]) -> None:
    pks = node_pks(edges)
    missing = sorted({i for e in edges for i in (e.source, e.target)} - set(pks))
    if missing:
        # Raised inside the atomic block: everything this plan wrote is rolled back.
        raise GraphIntegrityError(f"No node with id {', '.join(missing)}; nothing was written.")
    rows = {
        (edge.type, pks[edge.source], pks[edge.target], edge.key[3]): GraphEdge(
            type=edge.type,
            source_id=pks[edge.source],
            target_id=pks[edge.target],
            key=edge.key[3],
            properties=dict(edge.properties),
        )
        for edge in edges
    }
    GraphEdge.objects.bulk_create(
        list(rows.values()),
        update_conflicts=True,
        unique_fields=["type", "source", "target", "key"],
        update_fields=["properties"],
    )


def delete_edges(edges: list[Edge]) -> None:
    for edge in edges:
        GraphEdge.objects.filter(
            type=edge.type,
            source__node_id=edge.source,
            target__node_id=edge.target,
            key=edge.key[3],
        ).delete()


def upsert_documents(documents: list[Document]) -> None:
    """One INSERT ... ON CONFLICT DO UPDATE; a document listed twice keeps the last."""
    rows = {document.id: document_row(document) for document in documents}
    BrainDocument.objects.bulk_create(
        list(rows.values()),
        update_conflicts=True,
        unique_fields=["doc_id"],
        update_fields=[
            "type",
            "project_uid",
            "text",
            "metadata",
            "relationships",
            "embedding",
            "updated_at",
        ],
    )


def document_row(document: Document) -> BrainDocument:
    return BrainDocument(
        doc_id=document.id,
        type=document.type,
        project_uid=document.project_id,
        text=document.text,
        metadata=dict(document.metadata),
        relationships=[dict(r) for r in document.relationships],
        # Six decimals keep cosine exact to ~1e-6 and halve the JSON that every
        # search has to parse (the model's own weights are 4-bit).
        embedding=[round(float(x), 6) for x in document.embedding],
    )


# ----------------------------------------------------------------------------- search
def exact_search(
    project_id: str, vector: Sequence[float], limit: int, types: Collection[str] | None
) -> list[SearchHit]:
    rows = BrainDocument.objects.filter(project_uid=project_id)
    if types:
        rows = rows.filter(type__in=list(types))
    # Score on (pk, embedding) only, then load the few winners whole.
    pairs = [(pk, e) for pk, e in rows.values_list("pk", "embedding") if len(e) == len(vector)]
    if not pairs or limit < 1:
        return []
    matrix = np.asarray([e for _, e in pairs], dtype=np.float32)
    query = np.asarray(vector, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
    cosine = (matrix @ query) / np.where(norms == 0, 1.0, norms)
    # Neo4j's vector index reports (1 + cos) / 2; the same scale keeps results comparable.
    scores = (1.0 + cosine) / 2.0
    best = [int(i) for i in np.argsort(-scores, kind="stable")[:limit]]
    ids = [pairs[i][0] for i in best]
    winners = _documents(f"id IN ({_marks(len(ids))})", ids)
    return [SearchHit(winners[pairs[i][0]], float(scores[i])) for i in best]
