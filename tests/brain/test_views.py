"""The graph and search pages behind project:read, and the read-only Cypher console."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

from brain.embeddings import default_embedder
from brain.graph import get_backend, reset_backend
from brain.graph.base import Plan
from brain.graph.sync import run_blocking
from brain.models import CharacterRelationship, Project, SceneAppearance
from tests import factories
from tests.brain.conftest import neo4j_backend
from tests.brain.helpers import character_documents, new_id, wipe

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


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def system_admin(**fields: Any) -> Any:
    user = factories.user(**fields)
    user.user_permissions.add(Permission.objects.get(codename="system_admin"))
    return user


@pytest.fixture
def private(db: None) -> Project:
    """A project with no graph of its own: access is decided before the graph is read."""
    return factories.project(slug=f"private-{new_id()[:8]}", name="Private Matters")


@pytest.mark.parametrize("page", ["graph", "search?q=lamp"])
def test_brain_pages_send_anonymous_people_to_log_in_and_json_clients_a_401(
    private: Project, page: str
) -> None:
    url = f"/brain/{private.slug}/{page}"
    if page == "graph":
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    answer = Client().get(url, HTTP_ACCEPT="application/json")
    assert answer.status_code == 401 and "Log in" in answer.json()["error"]


@pytest.mark.parametrize("page", ["graph", "search?q=lamp"])
def test_brain_pages_refuse_people_without_project_read_and_name_the_permission(
    private: Project, page: str
) -> None:
    staff_only = factories.user(is_staff=True)
    member_elsewhere = factories.member(factories.project(), role="admin")
    for user in (staff_only, member_elsewhere):
        response = client_for(user).get(
            f"/brain/{private.slug}/{page}", HTTP_ACCEPT="application/json"
        )
        assert response.status_code == 403
        assert "'project:read'" in response.json()["error"]
    html = client_for(staff_only).get(f"/brain/{private.slug}/graph")
    assert html.status_code == 403 and "project:read" in html.content.decode()


def test_viewers_and_members_see_the_graph_page_and_search(private: Project) -> None:
    for role in ("viewer", "user", "admin"):
        client = client_for(factories.member(private, role=role))
        assert client.get(f"/brain/{private.slug}/graph").status_code == 200, role
        answer = client.get(f"/brain/{private.slug}/search", {"q": "lamp"})
        assert answer.status_code == 200 and answer.json()["results"] == [], role


def test_an_inactive_project_is_hidden_except_from_its_admins(private: Project) -> None:
    private.is_active = False
    private.save(update_fields=["is_active"])
    viewer = client_for(factories.member(private, role="viewer"))
    assert viewer.get(f"/brain/{private.slug}/graph").status_code == 404
    hidden = viewer.get(f"/brain/{private.slug}/search", {"q": "lamp"})
    assert hidden.status_code == 404 and hidden.json() == {"error": "No such project."}
    admin = client_for(factories.member(private, role="admin"))
    assert admin.get(f"/brain/{private.slug}/graph").status_code == 200
    assert client_for(factories.user()).get("/brain/no-such-project/graph").status_code == 404


def test_searching_from_the_graph_page_and_the_json_endpoint(
    story: Project, admin_client: Client
) -> None:
    texts = {
        "keeper": "Isla Marrow relights the lighthouse lamp on the cliffs.",
        "crane": "Harbourmaster Crane profits from shipwrecks.",
    }
    vectors = run_blocking(lambda: default_embedder().embed_passages(list(texts.values())))
    documents = character_documents(str(story.uid), list(texts.values()), vectors)
    run_blocking(lambda: get_backend().apply(Plan(upsert_documents=documents)))
    page = admin_client.get(f"/brain/{story.slug}/graph", {"q": "who keeps the light burning"})
    assert "Results for" in page.content.decode()
    answer = admin_client.get(f"/brain/{story.slug}/search", {"q": "wrecked ships"}).json()
    assert answer["results"][0]["id"] == documents[1].id
    assert admin_client.get(f"/brain/{story.slug}/search").status_code == 400


@pytest.fixture
def lead(db: None) -> Any:
    """A system admin who is a viewer of one project (and of no other)."""
    user = system_admin()
    factories.member(factories.project(slug=f"mine-{new_id()[:8]}", name="Mine"), "viewer", user)
    return user


def escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def mine(user: Any) -> Project:
    return Project.objects.get(memberships__user=user)


@pytest.mark.parametrize(
    "cypher",
    [
        "CREATE (n:Character {name: 'x'})",
        "MERGE (n:Project {id: 'x'})",
        "MATCH (n) DETACH DELETE n",
        "MATCH (n) SET n.name = 'x'",
        "CALL db.create.setNodeVectorProperty(n, 'embedding', [1.0])",
        "WITH 1 AS a // x\rLOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
        "SHOW USERS",
    ],
)
def test_the_console_refuses_writes_and_reads_of_the_host_with_a_clear_400(
    lead: Any, cypher: str
) -> None:
    response = query(client_for(lead), {"project": mine(lead).slug, "query": cypher})
    assert response.status_code == 400
    assert "not allowed" in response.json()["error"]


def test_the_console_needs_system_admin_not_staff(lead: Any) -> None:
    assert query(Client(), {"query": "RETURN 1"}).status_code == 401
    assert Client().get("/brain/query").status_code == 302
    staff = factories.user(is_staff=True)
    factories.member(mine(lead), "admin", staff)
    refused = query(client_for(staff), {"project": mine(lead).slug, "query": "RETURN 1"})
    assert refused.status_code == 403 and "'system:admin'" in refused.json()["error"]
    assert client_for(staff).get("/brain/query").status_code == 403
    assert client_for(lead).get("/brain/query").status_code == 200


def test_the_console_runs_only_on_a_project_the_user_may_read(lead: Any) -> None:
    other = factories.project(slug=f"other-{new_id()[:8]}")
    client = client_for(lead)
    assert "project" in query(client, {"query": "RETURN 1"}).json()["error"]
    refused = query(client, {"project": other.slug, "query": "RETURN 1"})
    assert refused.status_code == 403 and "'project:read'" in refused.json()["error"]
    assert query(client, {"project": "no-such", "query": "RETURN 1"}).status_code == 404


def test_the_console_page_offers_only_readable_projects(lead: Any) -> None:
    other = factories.project(slug=f"other-{new_id()[:8]}", name="Not Yours")
    html = client_for(lead).get("/brain/query").content.decode()
    assert "Read-only graph query" in html and "brain/query.js" in html
    assert f'value="{mine(lead).slug}"' in html and other.slug not in html


def test_the_console_refuses_queries_that_name_a_project_the_user_may_not_read(
    lead: Any,
) -> None:
    other = factories.project(slug=f"other-{new_id()[:8]}", name="The Secret Film")
    client, project = client_for(lead), mine(lead).slug
    for body in (
        {"query": f"MATCH (p:Project {{slug: '{other.slug}'}}) RETURN p"},
        {"query": f"MATCH (c {{projectId: '{other.uid}'}}) RETURN c"},
        # the uid spelled with unicode escapes is still the uid
        {"query": "MATCH (c {projectId: '" + escaped(str(other.uid)) + "'}) RETURN c"},
        {"query": 'MATCH (p:Project {name: "the secret film"}) RETURN p'},
        {"query": "MATCH (p:Project {slug: $s}) RETURN p", "params": {"s": other.slug}},
        {
            "query": "MATCH (c) WHERE c.projectId IN $ids RETURN c",
            "params": {"ids": [str(other.uid)]},
        },
    ):
        response = query(client, {"project": project, **body})
        assert response.status_code == 400, body
        assert "project you may not read" in response.json()["error"]
    bound = query(
        client, {"project": project, "query": "RETURN $projectUid", "params": {"projectUid": "x"}}
    )
    assert bound.status_code == 400 and "projectUid" in bound.json()["error"]


def test_the_console_explains_bad_input(lead: Any) -> None:
    client, project = client_for(lead), mine(lead).slug
    assert (
        "JSON" in client.post("/brain/query", "{", content_type="application/json").json()["error"]
    )
    assert "query" in query(client, {"project": project, "params": {}}).json()["error"]
    body = {"project": project, "query": "RETURN 1"}
    assert "params" in query(client, {**body, "params": [1]}).json()["error"]
    assert "limit" in query(client, {**body, "limit": 0}).json()["error"]
    deep = client.post("/brain/query", "[" * 50_000 + "]" * 50_000, content_type="application/json")
    assert deep.status_code == 400
    nested: Any = "x"
    for _ in range(20):
        nested = [nested]
    assert "nested" in query(client, {**body, "params": {"n": nested}}).json()["error"]
    huge = query(client, {**body, "params": {"x": "y" * 100_000}})
    assert huge.status_code == 400 and "KB" in huge.json()["error"]


def test_the_console_says_the_embedded_backend_needs_neo4j(lead: Any) -> None:
    with override_settings(NEO4J_URL=""):
        reset_backend()
        response = query(
            client_for(lead), {"project": mine(lead).slug, "query": "MATCH (n) RETURN n LIMIT 1"}
        )
    reset_backend()
    assert response.status_code == 501
    assert "NEO4J_URL" in response.json()["error"]


@pytest.mark.neo4j
def test_the_console_returns_json_rows_of_the_chosen_project_from_neo4j(
    neo4j_configured: None, lead: Any
) -> None:
    project = mine(lead)
    factories.character(project, name="Mara")
    try:
        response = query(
            client_for(lead),
            {
                "project": project.slug,
                "query": "MATCH (c:Character)-[:CREATED_IN]->(p:Project {id: $projectUid}) "
                "WHERE c.name STARTS WITH $prefix RETURN c.name AS name, p AS project",
                "params": {"prefix": "Ma"},
            },
        )
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["columns"] == ["name", "project"] and body["count"] == 1
        assert body["rows"][0]["name"] == "Mara"
        assert body["rows"][0]["project"]["labels"] == ["Project"]
        assert body["rows"][0]["project"]["properties"]["slug"] == project.slug
        broken = query(client_for(lead), {"project": project.slug, "query": "MATCH (n RETURN n"})
        assert broken.status_code == 400 and "Neo4j refused" in broken.json()["error"]
    finally:
        run_blocking(lambda: wipe(get_backend(), str(project.uid)))


@pytest.mark.neo4j
def test_the_console_withholds_a_result_holding_another_projects_data(
    neo4j_configured: None, lead: Any
) -> None:
    other = factories.project(slug=f"other-{new_id()[:8]}", name="Elsewhere")
    factories.character(other, name="Hidden Person")
    try:
        for cypher in (
            "MATCH (c:Character) WHERE c.name = 'Hidden Person' RETURN c",
            "MATCH (c:Character) WHERE c.name = 'Hidden Person' RETURN [{c: [c]}] AS deep",
            "MATCH p = (:Character {name: 'Hidden Person'})-->() RETURN p",
            "MATCH (p:Project) RETURN p.slug AS slug",
            "MATCH (c:Character {name: 'Hidden Person'}) RETURN c.projectId AS owner",
        ):
            response = query(client_for(lead), {"project": mine(lead).slug, "query": cypher})
            assert response.status_code == 400, (cypher, response.json())
            assert "project you may not read" in response.json()["error"]
    finally:
        run_blocking(lambda: wipe(get_backend(), str(other.uid)))


@pytest.mark.neo4j
def test_a_superuser_reads_every_project_in_the_console(
    neo4j_configured: None, admin_client: Client
) -> None:
    first, second = (
        factories.project(slug=f"a-{new_id()[:8]}"),
        factories.project(slug=f"b-{new_id()[:8]}"),
    )
    try:
        response = query(
            admin_client,
            {
                "project": first.slug,
                "query": "MATCH (p:Project) WHERE p.id IN $ids RETURN p.slug AS slug ORDER BY slug",
                "params": {"ids": [str(first.uid), str(second.uid)]},
            },
        )
        assert response.status_code == 200, response.json()
        assert [row["slug"] for row in response.json()["rows"]] == [first.slug, second.slug]
    finally:
        for uid in (str(first.uid), str(second.uid)):
            run_blocking(partial(wipe, get_backend(), uid))
