"""The graph page for people and the read-only Cypher endpoint for staff."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from brain.embeddings import default_embedder
from brain.graph import get_backend, reset_backend
from brain.graph.base import Document, Plan
from brain.graph.sync import run_blocking
from brain.models import CharacterRelationship, Project, SceneAppearance
from tests import factories
from tests.brain.conftest import neo4j_backend
from tests.brain.helpers import new_id, wipe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def story(configured_backend: str) -> Iterator[Project]:
    project = factories.project(slug=f"lanterns-{new_id()[:8]}", name="The Lantern Keepers")
    episode = factories.episode(project, episode_number=1, title="The Dark Lamp")
    scene = factories.scene(episode, scene_number=1, title="Homecoming")
    isla = factories.character(project, name="Isla Marrow")
    crane = factories.character(project, name="Harbourmaster Crane")
    SceneAppearance.objects.create(character=isla, scene=scene, role="lead")
    CharacterRelationship.objects.create(
        from_character=crane, to_character=isla, type="enemy", strength=0.9
    )
    yield project
    run_blocking(lambda: wipe(get_backend(), str(project.uid)))


@pytest.fixture
def neo4j_configured() -> Iterator[None]:
    with override_settings(NEO4J_URL=neo4j_backend().url):
        reset_backend()
        yield
    reset_backend()


def query(client: Client, body: Any) -> Any:
    return client.post("/brain/query", json.dumps(body), content_type="application/json")


def test_the_graph_page_draws_the_project_labelled_and_coloured_by_type(
    story: Project, admin_client: Client
) -> None:
    response = admin_client.get(f"/brain/{story.slug}/graph")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    for text in (
        "The Lantern Keepers",
        "E1 · The Dark Lamp",
        "S1 · Homecoming",
        "Isla Marrow",
        "Harbourmaster Crane",
        ">enemy<",
    ):
        assert text in html, text
    for kind in ("project", "episode", "scene", "character"):
        assert f'class="node node-{kind}"' in html
    for kind in ("part_of", "belongs_to", "appears_in", "created_in", "related_to"):
        assert f'class="edge edge-{kind}"' in html
    assert "1 episode, 1 scene, 2 characters, 6 relationships" in " ".join(html.split())


def test_the_graph_page_is_for_logged_in_people_and_known_projects(story: Project) -> None:
    anonymous = Client().get(f"/brain/{story.slug}/graph")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    user = get_user_model().objects.create_user("writer", password="pw-writer-123")
    client = Client()
    client.force_login(user)
    assert client.get(f"/brain/{story.slug}/graph").status_code == 200
    assert client.get("/brain/no-such-project/graph").status_code == 404


def test_searching_from_the_graph_page_and_the_json_endpoint(
    story: Project, admin_client: Client
) -> None:
    texts = {
        "keeper": "Isla Marrow relights the lighthouse lamp on the cliffs.",
        "crane": "Harbourmaster Crane profits from shipwrecks.",
    }
    vectors = run_blocking(lambda: default_embedder().embed_passages(list(texts.values())))
    documents = [
        Document(
            id=new_id(),
            type="character",
            project_id=str(story.uid),
            text=t,
            metadata={"summary": t},
            relationships=[],
            embedding=v,
        )
        for t, v in zip(texts.values(), vectors, strict=True)
    ]
    run_blocking(lambda: get_backend().apply(Plan(upsert_documents=documents)))
    page = admin_client.get(f"/brain/{story.slug}/graph", {"q": "who keeps the light burning"})
    assert "Results for" in page.content.decode()
    answer = admin_client.get(f"/brain/{story.slug}/search", {"q": "wrecked ships"}).json()
    assert answer["results"][0]["id"] == documents[1].id
    assert admin_client.get(f"/brain/{story.slug}/search").status_code == 400


@pytest.mark.parametrize(
    "cypher",
    [
        "CREATE (n:Character {name: 'x'})",
        "MERGE (n:Project {id: 'x'})",
        "MATCH (n) DETACH DELETE n",
        "MATCH (n) SET n.name = 'x'",
        "CALL db.create.setNodeVectorProperty(n, 'embedding', [1.0])",
    ],
)
def test_the_query_endpoint_refuses_writes_with_a_clear_400(
    admin_client: Client, cypher: str
) -> None:
    response = query(admin_client, {"query": cypher})
    assert response.status_code == 400
    assert "not allowed" in response.json()["error"]


def test_the_query_endpoint_is_for_staff_only(db: None) -> None:
    assert query(Client(), {"query": "RETURN 1"}).status_code == 401
    assert Client().get("/brain/query").status_code == 302
    user = get_user_model().objects.create_user("writer", password="pw-writer-123")
    client = Client()
    client.force_login(user)
    assert query(client, {"query": "RETURN 1"}).status_code == 403
    assert client.get("/brain/query").status_code == 403


def test_the_query_endpoint_explains_bad_input(admin_client: Client) -> None:
    assert (
        "JSON"
        in admin_client.post("/brain/query", "{", content_type="application/json").json()["error"]
    )
    assert "query" in query(admin_client, {"params": {}}).json()["error"]
    assert "params" in query(admin_client, {"query": "RETURN 1", "params": [1]}).json()["error"]
    assert "limit" in query(admin_client, {"query": "RETURN 1", "limit": 0}).json()["error"]


def test_the_query_endpoint_says_the_embedded_backend_needs_neo4j(admin_client: Client) -> None:
    with override_settings(NEO4J_URL=""):
        reset_backend()
        response = query(admin_client, {"query": "MATCH (n) RETURN n LIMIT 1"})
    reset_backend()
    assert response.status_code == 501
    assert "NEO4J_URL" in response.json()["error"]


def test_the_query_endpoint_returns_json_rows_from_neo4j(
    neo4j_configured: None, admin_client: Client
) -> None:
    project = factories.project(slug=f"q-{new_id()[:8]}", name="Queried")
    factories.character(project, name="Mara")
    try:
        response = query(
            admin_client,
            {
                "query": "MATCH (c:Character)-[:CREATED_IN]->(p:Project {slug: $slug}) "
                "RETURN c.name AS name, p AS project",
                "params": {"slug": project.slug},
            },
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["columns"] == ["name", "project"] and body["count"] == 1
        assert body["rows"][0]["name"] == "Mara"
        assert body["rows"][0]["project"]["labels"] == ["Project"]
        assert body["rows"][0]["project"]["properties"]["slug"] == project.slug
        broken = query(admin_client, {"query": "MATCH (n RETURN n"})
        assert broken.status_code == 400 and "Neo4j refused" in broken.json()["error"]
    finally:
        run_blocking(lambda: wipe(get_backend(), str(project.uid)))


def test_the_query_page_renders_for_staff(admin_client: Client) -> None:
    html = admin_client.get("/brain/query").content.decode()
    assert "Read-only graph query" in html and "brain/query.js" in html
