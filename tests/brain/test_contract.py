"""The graph backend contract: the embedded backend and Neo4j (for real) behave alike."""

from __future__ import annotations

import os
from typing import Any

import neo4j
import pytest

from brain.graph.base import (
    APPEARS_IN,
    CHARACTER,
    NODE_PROPERTIES,
    REL_SHAPES,
    RELATED_TO,
    CypherUnsupported,
    Edge,
    GraphBackend,
    GraphIntegrityError,
    Node,
    Plan,
)
from tests.brain.helpers import document, new_id, story_graph, unit
from tests.conftest import service_url

pytestmark = pytest.mark.django_db(transaction=True)


def track(request: pytest.FixtureRequest, project_id: str) -> str:
    request.node.backend_projects.append(project_id)
    return project_id


async def test_schema_creation_is_idempotent(backend: GraphBackend) -> None:
    await backend.ensure_schema()
    await backend.ensure_schema()


async def test_applied_plan_reads_back_with_the_spec_schema(
    backend: GraphBackend, request: pytest.FixtureRequest
) -> None:
    graph = story_graph()
    track(request, graph.project.id)
    await backend.apply(graph.plan())
    snapshot = await backend.fetch_project(graph.project.id)
    assert {n.id: dict(n.properties) for n in snapshot.nodes.values()} == {
        n.id: dict(n.properties) for n in graph.nodes
    }
    for node in snapshot.nodes.values():
        assert set(node.properties) == NODE_PROPERTIES[node.label]
    assert set(snapshot.edges) == {e.key for e in graph.edges}
    for edge in snapshot.edges.values():
        source, target, properties = REL_SHAPES[edge.type]
        assert snapshot.nodes[edge.source].label == source
        assert snapshot.nodes[edge.target].label == target
        assert set(edge.properties) == properties
    assert snapshot.edges[(RELATED_TO, graph.hero.id, graph.villain.id, "enemy")].properties == {
        "type": "enemy",
        "strength": 0.9,
    }


async def test_applying_the_same_plan_twice_leaves_one_copy(
    backend: GraphBackend, request: pytest.FixtureRequest
) -> None:
    graph = story_graph()
    track(request, graph.project.id)
    await backend.apply(graph.plan())
    first = await backend.fetch_project(graph.project.id)
    await backend.apply(graph.plan())
    second = await backend.fetch_project(graph.project.id)
    assert second.nodes == first.nodes and second.edges == first.edges
    assert len(second.nodes) == 5 and len(second.edges) == 7


async def test_upserting_a_node_replaces_all_its_properties(
    backend: GraphBackend, request: pytest.FixtureRequest
) -> None:
    graph = story_graph()
    track(request, graph.project.id)
    await backend.apply(graph.plan())
    renamed = Node(CHARACTER, graph.hero.id, {**graph.hero.properties, "name": "Heroine"})
    await backend.apply(Plan(upsert_nodes=[renamed]))
    snapshot = await backend.fetch([graph.hero.id])
    assert snapshot.nodes[graph.hero.id].properties["name"] == "Heroine"
    assert len(snapshot.edges_of(graph.hero.id)) == 3  # relationships survive an update


async def test_a_node_or_relationship_listed_twice_in_one_plan_keeps_the_last(
    backend: GraphBackend, request: pytest.FixtureRequest
) -> None:
    graph = story_graph()
    track(request, graph.project.id)
    renamed = Node(CHARACTER, graph.hero.id, {**graph.hero.properties, "name": "Heroine"})
    enemy = next(e for e in graph.edges if e.type == RELATED_TO)
    weaker = Edge(RELATED_TO, enemy.source, enemy.target, {"type": "enemy", "strength": 0.2})

    await backend.apply(
        Plan(
            upsert_nodes=[*graph.nodes, renamed],
            upsert_edges=[*graph.edges, weaker],
            upsert_documents=[document(graph.hero, unit(1.0)), document(graph.hero, unit(0, 1.0))],
        )
    )

    snapshot = await backend.fetch_project(graph.project.id)
    assert snapshot.nodes[graph.hero.id].properties["name"] == "Heroine"
    assert len(snapshot.nodes) == 5 and len(snapshot.edges) == 7
    assert snapshot.edges[enemy.key].properties == {"type": "enemy", "strength": 0.2}
    stored = await backend.get_document(graph.hero.id)
    assert stored is not None and list(stored.embedding)[:2] == pytest.approx([0, 1.0])


async def test_a_fetch_can_read_only_some_nodes_relationships(
    backend: GraphBackend, request: pytest.FixtureRequest
) -> None:
    # A sync of one character reads its project node, not every relationship of it.
    graph = story_graph()
    track(request, graph.project.id)
    await backend.apply(graph.plan())
    ids = [graph.hero.id, graph.project.id, graph.episode.id]

    snapshot = await backend.fetch(ids, edges_of=[graph.hero.id])

    assert set(snapshot.nodes) == set(ids)
    every = await backend.fetch(ids)
    touching_hero = {k for k, e in every.edges.items() if graph.hero.id in (e.source, e.target)}
    assert touching_hero and set(snapshot.edges) == touching_hero
    assert len(every.edges) > len(touching_hero)  # the episode's own were left out


async def test_related_to_is_told_apart_by_its_type(
    backend: GraphBackend, request: pytest.FixtureRequest
) -> None:
    graph = story_graph()
    track(request, graph.project.id)
    siblings = Edge(
        RELATED_TO, graph.hero.id, graph.villain.id, {"type": "sibling", "strength": 0.4}
    )
    await backend.apply(Plan(upsert_nodes=graph.nodes, upsert_edges=[*graph.edges, siblings]))
    enemy = next(e for e in graph.edges if e.type == RELATED_TO)
    await backend.apply(Plan(delete_edges=[enemy]))
    snapshot = await backend.fetch([graph.hero.id])
    related = [e for e in snapshot.edges.values() if e.type == RELATED_TO]
    assert [dict(e.properties) for e in related] == [{"type": "sibling", "strength": 0.4}]


async def test_deleting_a_node_removes_its_relationships_and_document(
    backend: GraphBackend, request: pytest.FixtureRequest
) -> None:
    graph = story_graph()
    track(request, graph.project.id)
    plan = graph.plan()
    plan.upsert_documents = [document(graph.villain, unit(1.0))]
    await backend.apply(plan)
    await backend.apply(Plan(delete_nodes=[graph.villain]))
    snapshot = await backend.fetch_project(graph.project.id)
    assert graph.villain.id not in snapshot.nodes
    assert all(graph.villain.id not in (e.source, e.target) for e in snapshot.edges.values())
    assert len(snapshot.edges) == 4
    assert await backend.get_document(graph.villain.id) is None


async def test_a_relationship_to_a_missing_node_writes_nothing_at_all(
    backend: GraphBackend, request: pytest.FixtureRequest
) -> None:
    graph = story_graph()
    track(request, graph.project.id)
    dangling = Edge(APPEARS_IN, graph.hero.id, new_id(), {"role": "lead"})
    plan = graph.plan()
    plan.upsert_edges.append(dangling)
    plan.upsert_documents = [document(graph.hero, unit(1.0))]
    with pytest.raises(GraphIntegrityError, match=dangling.target):
        await backend.apply(plan)
    assert (await backend.fetch_project(graph.project.id)).nodes == {}
    assert await backend.get_document(graph.hero.id) is None


async def test_a_project_fetch_holds_only_that_project(
    backend: GraphBackend, request: pytest.FixtureRequest
) -> None:
    ours, theirs = story_graph("ours"), story_graph("theirs")
    track(request, ours.project.id)
    track(request, theirs.project.id)
    await backend.apply(ours.plan())
    await backend.apply(theirs.plan())
    snapshot = await backend.fetch_project(ours.project.id)
    assert set(snapshot.nodes) == {n.id for n in ours.nodes}
    assert {ours.project.id, theirs.project.id} <= await backend.project_ids()


async def test_documents_round_trip(backend: GraphBackend, request: pytest.FixtureRequest) -> None:
    graph = story_graph()
    track(request, graph.project.id)
    original = document(graph.hero, unit(0.2, 0.9), text="Hero keeps the lighthouse.")
    plan = graph.plan()
    plan.upsert_documents = [original]
    await backend.apply(plan)
    stored = await backend.get_document(graph.hero.id)
    assert stored is not None
    assert stored.as_dict() == original.as_dict()
    assert stored.embedding == pytest.approx(original.embedding, abs=1e-6)
    assert await backend.document_ids(graph.project.id) == {graph.hero.id}


async def test_search_returns_the_nearest_document_of_the_project_first(
    backend: GraphBackend, request: pytest.FixtureRequest
) -> None:
    ours, theirs = story_graph("ours"), story_graph("theirs")
    for graph in (ours, theirs):
        track(request, graph.project.id)
        plan = graph.plan()
        plan.upsert_documents = [
            document(graph.hero, unit(1.0, 0.1)),
            document(graph.villain, unit(0.1, 1.0)),
            document(graph.scene, unit(0.7, 0.7)),
        ]
        await backend.apply(plan)
    hits = await backend.search(ours.project.id, unit(0.95, 0.2), 3)
    assert [h.document.id for h in hits] == [ours.hero.id, ours.scene.id, ours.villain.id]
    # Same scale on both: (1 + cos) / 2. Neo4j's index quantises vectors, hence the slack.
    assert hits[0].score == pytest.approx(
        (1 + cosine(unit(1.0, 0.1), unit(0.95, 0.2))) / 2, abs=2e-3
    )
    scenes = await backend.search(ours.project.id, unit(1.0), 5, types={"scene"})
    assert [h.document.id for h in scenes] == [ours.scene.id]


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_read_query_runs_cypher_on_neo4j_and_is_refused_by_the_embedded_backend(
    backend: GraphBackend, request: pytest.FixtureRequest
) -> None:
    graph = story_graph()
    track(request, graph.project.id)
    await backend.apply(graph.plan())
    query = (
        "MATCH (c:Character {projectId: $pid})-[r:RELATED_TO]->(o:Character) "
        "RETURN c.name AS name, r.type AS type, o.name AS other"
    )
    params: dict[str, Any] = {"pid": graph.project.id}
    if backend.name == "embedded":
        with pytest.raises(CypherUnsupported, match="NEO4J_URL"):
            await backend.read_query(query, params, 10)
        return
    rows = await backend.read_query(query, params, 10)
    assert rows == [{"name": "Hero", "type": "enemy", "other": "Villain"}]


def show(cypher: str, **params: Any) -> list[dict[str, Any]]:
    """A SHOW command straight to the test Neo4j: the read-only console (read_query)
    refuses SHOW commands."""
    password = os.environ.get("TEST_NEO4J_PASSWORD", "")
    auth = ("neo4j", password) if password else None
    with neo4j.GraphDatabase.driver(service_url("neo4j"), auth=auth) as driver:
        records, _, _ = driver.execute_query(cypher, params)
    return [record.data() for record in records]


async def test_neo4j_has_the_uniqueness_constraints_and_the_384_dimension_cosine_index(
    backend: GraphBackend,
) -> None:
    if backend.name != "neo4j":
        pytest.skip("the embedded backend's constraints are its migration's")
    constraints = show(
        "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
        "RETURN name, type, labelsOrTypes[0] AS label, properties[0] AS property"
    )
    unique = {(c["label"], c["property"]) for c in constraints if "UNIQUE" in c["type"]}
    for label in ("Project", "Episode", "Scene", "Character", "BrainDocument"):
        assert (label, "id") in unique
    [index] = show(
        "SHOW VECTOR INDEXES YIELD name, state, options WHERE name = $name "
        "RETURN state, options.indexConfig AS config",
        name="brain_document_embedding",
    )
    assert index["state"] == "ONLINE"
    assert index["config"]["vector.dimensions"] == 384
    assert index["config"]["vector.similarity_function"].lower() == "cosine"
