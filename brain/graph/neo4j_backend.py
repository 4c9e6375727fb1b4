"""The Neo4j graph backend, over Bolt with the official async driver.

One driver per process per server. An async driver's connections belong to the
event loop that opened them, while Django code reaches the graph from many loops
(ASGI's, each `async_to_sync` call's, pytest's). So the driver lives on one
background loop thread of its own and every call is handed to that loop; callers
on any loop or thread just await the result.

Only parameterised Cypher: the labels and relationship types formatted into
statements are constants of brain.graph.base, checked by require_label and
require_rel_type; every value is a parameter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, ClassVar, Final, TypeVar

import neo4j
from neo4j import AsyncGraphDatabase, AsyncManagedTransaction
from neo4j.exceptions import ClientError, DriverError, Neo4jError

from brain.graph.base import (
    CHARACTER,
    DOCUMENT_LABEL,
    ELEMENT,
    EMBEDDING_DIMENSIONS,
    EPISODE,
    LOCATION,
    NODE_LABELS,
    PROJECT,
    REL_SHAPES,
    REL_TYPES,
    SCENE,
    Document,
    Edge,
    GraphError,
    GraphIntegrityError,
    GraphUnavailable,
    Node,
    Plan,
    SearchHit,
    Snapshot,
    require_label,
    require_rel_type,
)
from brain.graph.cypher_plan import explain_and_check

logger = logging.getLogger(__name__)
T = TypeVar("T")

VECTOR_INDEX: Final = "brain_document_embedding"
QUERY_TIMEOUT_SECONDS = 10.0
# The console's client-side limit is the server's plus this: Neo4j normally ends the
# transaction itself, cleanly; the client stops waiting only if the server does not.
CLIENT_GRACE_SECONDS = 3.0


def schema_statements(dimensions: int = EMBEDDING_DIMENSIONS) -> list[str]:
    """Constraints and indexes; IF NOT EXISTS makes running them again a no-op."""
    statements = [
        f"CREATE CONSTRAINT {label.lower()}_id IF NOT EXISTS "
        f"FOR (n:{require_label(label)}) REQUIRE n.id IS UNIQUE"
        for label in NODE_LABELS
    ]
    statements += [
        f"CREATE CONSTRAINT brain_document_id IF NOT EXISTS "
        f"FOR (d:{DOCUMENT_LABEL}) REQUIRE d.id IS UNIQUE",
        f"CREATE INDEX project_slug IF NOT EXISTS FOR (n:{PROJECT}) ON (n.slug)",
        f"CREATE INDEX episode_project IF NOT EXISTS FOR (n:{EPISODE}) ON (n.projectId)",
        f"CREATE INDEX scene_project IF NOT EXISTS FOR (n:{SCENE}) ON (n.projectId)",
        f"CREATE INDEX scene_episode IF NOT EXISTS FOR (n:{SCENE}) ON (n.episodeId)",
        f"CREATE INDEX character_project IF NOT EXISTS FOR (n:{CHARACTER}) ON (n.projectId)",
        f"CREATE INDEX character_name IF NOT EXISTS FOR (n:{CHARACTER}) ON (n.name)",
        f"CREATE INDEX location_project IF NOT EXISTS FOR (n:{LOCATION}) ON (n.projectId)",
        f"CREATE INDEX element_project IF NOT EXISTS FOR (n:{ELEMENT}) ON (n.projectId)",
        f"CREATE INDEX brain_document_project IF NOT EXISTS "
        f"FOR (d:{DOCUMENT_LABEL}) ON (d.projectId)",
        f"CREATE VECTOR INDEX {VECTOR_INDEX} IF NOT EXISTS "
        f"FOR (d:{DOCUMENT_LABEL}) ON d.embedding OPTIONS {{indexConfig: {{"
        f"`vector.dimensions`: {int(dimensions)}, `vector.similarity_function`: 'cosine'}}}}",
    ]
    return statements


# A schema statement racing another process's identical one reports these; both mean
# "it exists", which is what we wanted.
_ALREADY_EXISTS = (
    "EquivalentSchemaRuleAlreadyExists",
    "IndexAlreadyExists",
    "ConstraintAlreadyExists",
)


class _LoopThread:
    """A daemon thread running one event loop, shared by every Neo4j backend."""

    _instance: ClassVar[_LoopThread | None] = None
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="brain-neo4j", daemon=True
        )
        self.thread.start()

    @classmethod
    def get(cls) -> _LoopThread:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)


class Neo4jBackend:
    name = "neo4j"
    _instances: ClassVar[dict[tuple[str, str, str], Neo4jBackend]] = {}
    _instances_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        url: str,
        *,
        user: str = "neo4j",
        password: str = "",
        database: str = "neo4j",
        connect_timeout: float = 5.0,
        retry_seconds: float = 3.0,
        query_timeout: float = QUERY_TIMEOUT_SECONDS,
    ) -> None:
        self.url, self.user, self.database = url, user, database
        self.query_timeout = query_timeout  # the Cypher console's, server and client side
        self._password = password
        # Short timeouts: a sync runs after an admin save commits, and an outage must
        # cost the save seconds, not the driver's default 30 s of retries.
        self._connect_timeout, self._retry_seconds = connect_timeout, retry_seconds
        self._driver: neo4j.AsyncDriver | None = None
        self._schema_ready = False
        self._runner = _LoopThread.get()

    @classmethod
    def for_url(
        cls, url: str, *, user: str = "neo4j", password: str = "", database: str = "neo4j"
    ) -> Neo4jBackend:
        """The process's backend (and so its one driver) for this server and database."""
        key = (url, user, database)
        with cls._instances_lock:
            if key not in cls._instances:
                cls._instances[key] = cls(url, user=user, password=password, database=database)
            return cls._instances[key]

    # ------------------------------------------------------------------ plumbing
    async def _on_loop(self, make: Callable[[], Awaitable[T]]) -> T:
        async def job() -> T:
            return await make()

        try:
            return await asyncio.wrap_future(self._runner.submit(job()))
        except Neo4jError as exc:  # the server refused: bad Cypher, a write in READ mode
            raise GraphError(f"Neo4j refused: {exc.message or exc}") from exc
        except DriverError as exc:  # no server, timeouts, lost connections
            raise GraphUnavailable(f"Neo4j at {self.url} is unavailable: {exc}") from exc

    def _driver_now(self) -> neo4j.AsyncDriver:
        """The driver, created on first use; only ever called on the backend's loop."""
        if self._driver is None:
            auth = (self.user, self._password) if self._password else None
            self._driver = AsyncGraphDatabase.driver(
                self.url,
                auth=auth,
                connection_timeout=self._connect_timeout,
                max_transaction_retry_time=self._retry_seconds,
                connection_acquisition_timeout=self._connect_timeout + 5,
            )
        return self._driver

    def _session(self, *, read: bool = False) -> neo4j.AsyncSession:
        mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
        return self._driver_now().session(database=self.database, default_access_mode=mode)

    async def _ready(self) -> None:
        if not self._schema_ready:
            await self._create_schema()
            self._schema_ready = True

    async def _create_schema(self) -> None:
        async with self._session() as session:
            for statement in schema_statements():
                try:
                    await (await session.run(statement)).consume()
                except ClientError as exc:
                    if not any(code in (exc.code or "") for code in _ALREADY_EXISTS):
                        raise
            # A new vector index is populated in the background; queries need it online.
            await (await session.run("CALL db.awaitIndexes(120)")).consume()

    async def _read(self, work: Callable[[AsyncManagedTransaction], Awaitable[T]]) -> T:
        async def run() -> T:
            await self._ready()
            async with self._session(read=True) as session:
                return await session.execute_read(work)

        return await self._on_loop(run)

    async def _write(self, work: Callable[[AsyncManagedTransaction], Awaitable[T]]) -> T:
        async def run() -> T:
            await self._ready()
            async with self._session() as session:
                return await session.execute_write(work)

        return await self._on_loop(run)

    # ------------------------------------------------------------------ the port
    async def ensure_schema(self) -> None:
        async def run() -> None:
            await self._create_schema()
            self._schema_ready = True

        await self._on_loop(run)

    async def fetch(
        self, ids: Collection[str], edges_of: Collection[str] | None = None
    ) -> Snapshot:
        wanted = sorted(set(ids))
        touching = wanted if edges_of is None else sorted(set(edges_of) & set(wanted))
        return await self._read(lambda tx: read_snapshot(tx, wanted, touching))

    async def fetch_project(self, project_id: str) -> Snapshot:
        async def work(tx: AsyncManagedTransaction) -> Snapshot:
            ids = await project_node_ids(tx, project_id)
            return await read_snapshot(tx, ids)

        return await self._read(work)

    async def project_ids(self) -> set[str]:
        async def work(tx: AsyncManagedTransaction) -> set[str]:
            result = await tx.run(
                "MATCH (p:Project) RETURN p.id AS id UNION "
                "MATCH (n) WHERE n:Episode OR n:Scene OR n:Character OR n:Location "
                "OR n:Element RETURN n.projectId AS id"
            )
            return {str(record["id"]) async for record in result if record["id"]}

        return await self._read(work)

    async def apply(self, plan: Plan) -> None:
        if not plan.empty:
            await self._write(lambda tx: write_plan(tx, plan))

    async def get_document(self, document_id: str) -> Document | None:
        async def work(tx: AsyncManagedTransaction) -> Document | None:
            result = await tx.run(
                f"MATCH (d:{DOCUMENT_LABEL} {{id: $id}}) RETURN properties(d) AS d",
                id=document_id,
            )
            record = await result.single()
            return to_document(record["d"]) if record else None

        return await self._read(work)

    async def document_ids(self, project_id: str) -> set[str]:
        async def work(tx: AsyncManagedTransaction) -> set[str]:
            result = await tx.run(
                f"MATCH (d:{DOCUMENT_LABEL} {{projectId: $pid}}) RETURN d.id AS id",
                pid=project_id,
            )
            return {str(record["id"]) async for record in result}

        return await self._read(work)

    async def search(
        self,
        project_id: str,
        vector: Sequence[float],
        limit: int,
        types: Collection[str] | None = None,
    ) -> list[SearchHit]:
        wanted = sorted(types) if types else None
        query = [float(x) for x in vector]
        return await self._read(lambda tx: vector_search(tx, project_id, query, limit, wanted))

    async def read_query(
        self, cypher: str, params: Mapping[str, Any], limit: int
    ) -> list[dict[str, Any]]:
        """The console's query: Neo4j's own plan is checked first (cypher_plan), then
        it runs in a READ transaction with a server-side timeout, once (no retries),
        and the client gives up after the same time too."""
        timeout = self.query_timeout

        async def work() -> list[dict[str, Any]]:
            async with self._session(read=True) as session:
                tx = await session.begin_transaction(timeout=timeout)
                try:
                    await explain_and_check(tx, cypher, params, self.database)
                    result = await tx.run(cypher, dict(params))
                    records = await result.fetch(limit)
                    return [{k: to_json_value(v) for k, v in r.items()} for r in records]
                finally:
                    await tx.close()  # rolls back: the console never commits

        async def bounded() -> list[dict[str, Any]]:
            await self._ready()  # schema first: creating it is not the query's time
            try:
                return await asyncio.wait_for(work(), timeout + CLIENT_GRACE_SECONDS)
            except TimeoutError as exc:
                raise GraphError(
                    f"The query did not finish within {timeout:g} s and was stopped."
                ) from exc

        return await self._on_loop(bounded)

    async def close(self) -> None:
        async def run() -> None:
            if self._driver is not None:
                await self._driver.close()
                self._driver, self._schema_ready = None, False

        await self._on_loop(run)


# --------------------------------------------------------------------------- reads
async def project_node_ids(tx: AsyncManagedTransaction, project_id: str) -> list[str]:
    result = await tx.run(
        "MATCH (p:Project {id: $pid}) RETURN p.id AS id UNION ALL "
        "MATCH (e:Episode {projectId: $pid}) RETURN e.id AS id UNION ALL "
        "MATCH (s:Scene {projectId: $pid}) RETURN s.id AS id UNION ALL "
        "MATCH (c:Character {projectId: $pid}) RETURN c.id AS id UNION ALL "
        "MATCH (l:Location {projectId: $pid}) RETURN l.id AS id UNION ALL "
        "MATCH (x:Element {projectId: $pid}) RETURN x.id AS id",
        pid=project_id,
    )
    return [str(record["id"]) async for record in result]


async def read_snapshot(
    tx: AsyncManagedTransaction, ids: list[str], edges_of: list[str] | None = None
) -> Snapshot:
    """The nodes `ids` and the relationships touching `edges_of` (default: all of them)."""
    snapshot = Snapshot()
    edges_of = ids if edges_of is None else edges_of
    if not ids:
        return snapshot
    for label in NODE_LABELS:
        result = await tx.run(
            f"UNWIND $ids AS id MATCH (n:{require_label(label)} {{id: id}}) "
            "RETURN n.id AS id, properties(n) AS props",
            ids=ids,
        )
        async for record in result:
            snapshot.add_node(Node(label, str(record["id"]), dict(record["props"])))
        result = await tx.run(
            f"UNWIND $ids AS id MATCH (n:{require_label(label)} {{id: id}})-[r]-() "
            "WHERE type(r) IN $types RETURN DISTINCT type(r) AS type, "
            "startNode(r).id AS source, endNode(r).id AS target, properties(r) AS props",
            ids=edges_of,
            types=list(REL_TYPES),
        )
        async for record in result:
            snapshot.add_edge(
                Edge(
                    record["type"],
                    str(record["source"]),
                    str(record["target"]),
                    dict(record["props"]),
                )
            )
    return snapshot


def to_document(props: Mapping[str, Any]) -> Document:
    return Document(
        id=str(props["id"]),
        type=str(props.get("type", "")),
        project_id=str(props.get("projectId", "")),
        text=str(props.get("text", "")),
        metadata=json.loads(props.get("metadata") or "{}"),
        relationships=json.loads(props.get("relationships") or "[]"),
        embedding=[float(x) for x in props.get("embedding") or []],
    )


async def vector_search(
    tx: AsyncManagedTransaction,
    project_id: str,
    vector: list[float],
    limit: int,
    types: list[str] | None,
) -> list[SearchHit]:
    if limit < 1:
        return []
    # The index answers across all projects, so ask it for more than we need and
    # filter; if that still leaves too few, the exact scan over the project decides.
    result = await tx.run(
        "CALL db.index.vector.queryNodes($index, $k, $vector) YIELD node, score "
        "WHERE node.projectId = $pid AND ($types IS NULL OR node.type IN $types) "
        "RETURN properties(node) AS d, score ORDER BY score DESC LIMIT $limit",
        index=VECTOR_INDEX,
        k=min(limit * 10 + 50, 10_000),
        vector=vector,
        pid=project_id,
        types=types,
        limit=limit,
    )
    hits = [SearchHit(to_document(r["d"]), float(r["score"])) async for r in result]
    if len(hits) >= limit:
        return hits
    result = await tx.run(
        f"MATCH (d:{DOCUMENT_LABEL} {{projectId: $pid}}) "
        "WHERE ($types IS NULL OR d.type IN $types) AND size(d.embedding) = size($vector) "
        "WITH d, vector.similarity.cosine(d.embedding, $vector) AS score "
        "RETURN properties(d) AS d, score ORDER BY score DESC LIMIT $limit",
        pid=project_id,
        vector=vector,
        types=types,
        limit=limit,
    )
    return [SearchHit(to_document(r["d"]), float(r["score"])) async for r in result]


# --------------------------------------------------------------------------- writes
async def write_plan(tx: AsyncManagedTransaction, plan: Plan) -> None:
    """Every step in the one transaction the caller opened; any raise rolls all back."""
    for edge_type, rows in edge_rows(plan.delete_edges).items():
        await delete_edges(tx, edge_type, rows)
    for label, ids in group_ids(plan.delete_nodes).items():
        await tx.run(
            f"UNWIND $ids AS id MATCH (n:{require_label(label)} {{id: id}}) DETACH DELETE n",
            ids=ids,
        )
    gone = [node.id for node in plan.delete_nodes]
    gone_projects = [node.id for node in plan.delete_nodes if node.label == PROJECT]
    await tx.run(
        f"MATCH (d:{DOCUMENT_LABEL}) WHERE d.id IN $ids OR d.projectId IN $projects "
        "DETACH DELETE d",
        ids=gone,
        projects=gone_projects,
    )
    for label, props in node_rows(plan.upsert_nodes).items():
        await tx.run(
            f"UNWIND $rows AS row MERGE (n:{require_label(label)} {{id: row.id}}) SET n = row",
            rows=props,
        )
    for edge_type, rows in edge_rows(plan.upsert_edges).items():
        await merge_edges(tx, edge_type, rows)
    if plan.upsert_documents:
        await tx.run(
            f"UNWIND $rows AS row MERGE (d:{DOCUMENT_LABEL} {{id: row.id}}) SET d = row",
            rows=[document_row(d) for d in plan.upsert_documents],
        )
    if plan.delete_documents:
        await tx.run(
            f"MATCH (d:{DOCUMENT_LABEL}) WHERE d.id IN $ids DETACH DELETE d",
            ids=list(plan.delete_documents),
        )


def group_ids(nodes: list[Node]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for node in nodes:
        grouped.setdefault(node.label, []).append(node.id)
    return grouped


def node_rows(nodes: list[Node]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for node in nodes:
        grouped.setdefault(node.label, []).append({**node.properties, "id": node.id})
    return grouped


def edge_rows(edges: list[Edge]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for edge in edges:
        grouped.setdefault(edge.type, []).append(
            {
                "source": edge.source,
                "target": edge.target,
                "key": edge.key[3],
                "props": dict(edge.properties),
            }
        )
    return grouped


def edge_pattern(edge_type: str) -> str:
    source, target, _ = REL_SHAPES[require_rel_type(edge_type)]
    return (
        f"MATCH (a:{require_label(source)} {{id: row.source}}), "
        f"(b:{require_label(target)} {{id: row.target}})"
    )


async def merge_edges(
    tx: AsyncManagedTransaction, edge_type: str, rows: list[dict[str, Any]]
) -> None:
    # RELATED_TO is merged on its `type` as well, matching Edge.key.
    identity = " {type: row.key}" if edge_type == "RELATED_TO" else ""
    result = await tx.run(
        f"UNWIND $rows AS row {edge_pattern(edge_type)} "
        f"MERGE (a)-[r:{edge_type}{identity}]->(b) SET r = row.props RETURN count(r) AS n",
        rows=rows,
    )
    record = await result.single()
    written = int(record["n"]) if record else 0
    if written != len(rows):
        missing = await missing_endpoints(tx, rows)
        # Raising inside the transaction function rolls the whole plan back.
        raise GraphIntegrityError(
            f"No node with id {', '.join(missing) or '?'} for {edge_type}; nothing was written."
        )


async def missing_endpoints(tx: AsyncManagedTransaction, rows: list[dict[str, Any]]) -> list[str]:
    ids = sorted({row["source"] for row in rows} | {row["target"] for row in rows})
    result = await tx.run(
        "UNWIND $ids AS id OPTIONAL MATCH (n {id: id}) WITH id, n WHERE n IS NULL RETURN id",
        ids=ids,
    )
    return [str(record["id"]) async for record in result]


async def delete_edges(
    tx: AsyncManagedTransaction, edge_type: str, rows: list[dict[str, Any]]
) -> None:
    await tx.run(
        f"UNWIND $rows AS row {edge_pattern(edge_type)} "
        # Only RELATED_TO has a `type`; for the others both sides are ''.
        f"MATCH (a)-[r:{edge_type}]->(b) WHERE coalesce(r.type, '') = row.key DELETE r",
        rows=rows,
    )


def document_row(document: Document) -> dict[str, Any]:
    # Neo4j properties cannot be maps, so metadata and relationships travel as JSON text.
    return {
        "id": document.id,
        "type": document.type,
        "projectId": document.project_id,
        "text": document.text,
        "metadata": json.dumps(dict(document.metadata), ensure_ascii=False),
        "relationships": json.dumps([dict(r) for r in document.relationships], ensure_ascii=False),
        "embedding": [float(x) for x in document.embedding],
    }


# --------------------------------------------------------------------------- results
def to_json_value(value: Any) -> Any:
    """A query result value as JSON: nodes and relationships as small maps, temporal
    values as ISO text, embeddings shortened (384 numbers help nobody reading a row)."""
    if isinstance(value, neo4j.graph.Node):
        return {"labels": sorted(value.labels), "properties": json_properties(value)}
    if isinstance(value, neo4j.graph.Relationship):
        return {
            "type": value.type,
            "start": value.start_node.get("id") if value.start_node else None,
            "end": value.end_node.get("id") if value.end_node else None,
            "properties": json_properties(value),
        }
    if isinstance(value, neo4j.graph.Path):
        return {
            "nodes": [to_json_value(n) for n in value.nodes],
            "relationships": [to_json_value(r) for r in value.relationships],
        }
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return str(value)


def json_properties(entity: neo4j.graph.Entity) -> dict[str, Any]:
    props = {k: to_json_value(v) for k, v in entity.items()}
    if isinstance(props.get("embedding"), list):
        props["embedding"] = f"<{len(props['embedding'])} numbers>"
    return props
