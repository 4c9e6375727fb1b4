"""Edits in the admin reach the graph after commit, deletions included, on both backends;
a graph outage never breaks a save, and brain_sync repairs the graph."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from brain.graph import get_backend, reset_backend
from brain.graph.base import (
    APPEARS_IN,
    CHARACTER,
    CREATED_IN,
    RELATED_TO,
    Edge,
    Node,
    Plan,
    Snapshot,
)
from brain.graph.sync import run_blocking
from brain.models import Character, CharacterRelationship, Project, Scene, SceneAppearance
from tests import factories
from tests.brain.admin_forms import assert_saved, submit
from tests.brain.helpers import new_id, wipe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def story(configured_backend: str) -> Iterator[Project]:
    """A project with an episode, a scene and two characters, made through the ORM (so
    already synced by the signals); its graph is wiped afterwards."""
    project = factories.project(slug=f"lanterns-{new_id()[:8]}", name="The Lanterns")
    scene = factories.scene(factories.episode(project, episode_number=1), scene_number=1)
    isla = factories.character(project, name="Isla")
    factories.character(project, name="Agnes")
    SceneAppearance.objects.create(character=isla, scene=scene, role="lead")
    yield project
    run_blocking(lambda: wipe(get_backend(), str(project.uid)))


def graph_of(project: Project) -> Snapshot:
    return run_blocking(lambda: get_backend().fetch_project(str(project.uid)))


def names(snapshot: Snapshot) -> set[str]:
    return {str(n.properties["name"]) for n in snapshot.nodes.values() if n.label == CHARACTER}


def related(snapshot: Snapshot) -> set[tuple[str, str, str, float]]:
    by_id = {i: n.properties.get("name") for i, n in snapshot.nodes.items()}
    return {
        (
            str(by_id[e.source]),
            str(e.properties["type"]),
            str(by_id[e.target]),
            float(e.properties["strength"]),
        )
        for e in snapshot.edges.values()
        if e.type == RELATED_TO
    }


def test_rows_made_through_the_orm_are_already_in_the_graph(story: Project) -> None:
    snapshot = graph_of(story)
    assert names(snapshot) == {"Isla", "Agnes"}
    assert len(snapshot.nodes) == 5
    assert {e.type for e in snapshot.edges.values()} == {
        "PART_OF",
        "BELONGS_TO",
        CREATED_IN,
        APPEARS_IN,
    }


def test_a_character_added_in_the_admin_appears_in_the_graph(
    story: Project, admin_client: Client
) -> None:
    response = submit(
        admin_client,
        "/admin/brain/character/add/",
        project=story.pk,
        name="Tomas",
        role="antagonist",
    )
    assert_saved(response)
    snapshot = graph_of(story)
    tomas = next(n for n in snapshot.nodes.values() if n.properties.get("name") == "Tomas")
    assert dict(tomas.properties) == {
        "id": tomas.id,
        "name": "Tomas",
        "projectId": str(story.uid),
        "type": "character",
    }
    assert (CREATED_IN, tomas.id, str(story.uid), "") in snapshot.edges


def test_relationship_edits_in_the_admin_update_the_graph(
    story: Project, admin_client: Client
) -> None:
    isla, agnes = (Character.objects.get(project=story, name=n) for n in ("Isla", "Agnes"))
    assert_saved(
        submit(
            admin_client,
            "/admin/brain/characterrelationship/add/",
            from_character=isla.pk,
            to_character=agnes.pk,
            type="mentor",
            strength="0.8",
        )
    )
    assert related(graph_of(story)) == {("Isla", "mentor", "Agnes", 0.8)}
    row = CharacterRelationship.objects.get()
    url = f"/admin/brain/characterrelationship/{row.pk}/change/"
    assert_saved(submit(admin_client, url, strength="0.3"))
    assert related(graph_of(story)) == {("Isla", "mentor", "Agnes", 0.3)}
    assert_saved(
        submit(admin_client, url, type="rival", from_character=agnes.pk, to_character=isla.pk)
    )
    assert related(graph_of(story)) == {("Agnes", "rival", "Isla", 0.3)}


def test_renaming_a_scene_number_and_removing_an_appearance_in_the_admin(
    story: Project, admin_client: Client
) -> None:
    scene = Scene.objects.get(episode__project=story)
    appearance = SceneAppearance.objects.get()
    assert_saved(submit(admin_client, f"/admin/brain/scene/{scene.pk}/change/", scene_number=7))
    response = admin_client.post(
        f"/admin/brain/sceneappearance/{appearance.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    snapshot = graph_of(story)
    assert snapshot.nodes[str(scene.uid)].properties["sceneNumber"] == 7
    assert not [e for e in snapshot.edges.values() if e.type == APPEARS_IN]


def test_deleting_a_character_in_the_admin_removes_its_node_and_relationships(
    story: Project, admin_client: Client
) -> None:
    isla = Character.objects.get(project=story, name="Isla")
    agnes = Character.objects.get(project=story, name="Agnes")
    CharacterRelationship.objects.create(from_character=agnes, to_character=isla, type="aunt")
    response = admin_client.post(f"/admin/brain/character/{isla.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    snapshot = graph_of(story)
    assert names(snapshot) == {"Agnes"}
    assert all(str(isla.uid) not in (e.source, e.target) for e in snapshot.edges.values())
    assert not related(snapshot)


def test_deleting_a_project_in_the_admin_removes_its_whole_graph(
    story: Project, admin_client: Client
) -> None:
    response = admin_client.post(f"/admin/brain/project/{story.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert graph_of(story).nodes == {}


def test_a_rolled_back_save_never_reaches_the_graph(story: Project) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        factories.character(story, name="Ghost")
        raise RuntimeError("abandon the transaction")
    assert "Ghost" not in names(graph_of(story))


def test_a_graph_outage_does_not_break_an_admin_save_and_brain_sync_repairs_it(
    story: Project, admin_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 1: this is what a Neo4j outage looks like to the driver.
    with override_settings(NEO4J_URL="bolt://127.0.0.1:1"), caplog.at_level(logging.ERROR):
        reset_backend()
        response = submit(
            admin_client, "/admin/brain/character/add/", project=story.pk, name="Wren"
        )
        reset_backend()
    assert_saved(response)
    assert Character.objects.filter(name="Wren").exists()
    assert "brain_sync" in caplog.text
    assert "Wren" not in names(graph_of(story))
    out = StringIO()
    call_command("brain_sync", project=story.slug, stdout=out)
    assert f"{story.slug}: nodes +1 ~0 -0, relationships +1 ~0 -0" in out.getvalue()
    assert "Wren" in names(graph_of(story))


def test_brain_sync_reports_what_it_changed_and_is_idempotent(story: Project) -> None:
    backend = get_backend()
    isla = Character.objects.get(project=story, name="Isla")
    stray_id = new_id()
    stray = Node(
        CHARACTER,
        stray_id,
        {"id": stray_id, "name": "Stray", "projectId": str(story.uid), "type": "character"},
    )
    renamed = Node(
        CHARACTER,
        str(isla.uid),
        {"id": str(isla.uid), "name": "Wrong", "projectId": str(story.uid), "type": "character"},
    )
    scene = Scene.objects.get(episode__project=story)
    run_blocking(
        lambda: backend.apply(
            Plan(
                upsert_nodes=[stray, renamed],
                upsert_edges=[Edge(APPEARS_IN, stray.id, str(scene.uid), {"role": "extra"})],
                delete_edges=[Edge(CREATED_IN, str(isla.uid), str(story.uid))],
            )
        )
    )
    out = StringIO()
    call_command("brain_sync", project=story.slug, stdout=out)
    assert f"{story.slug}: nodes +0 ~1 -1, relationships +1 ~0 -1" in out.getvalue()
    assert names(graph_of(story)) == {"Isla", "Agnes"}
    again = StringIO()
    call_command("brain_sync", project=story.slug, stdout=again)
    assert f"{story.slug}: already in step" in again.getvalue()


def test_brain_sync_without_a_project_drops_graphs_of_deleted_projects(story: Project) -> None:
    uid = str(story.uid)
    # Delete the rows behind the graph's back (as if the graph had been down).
    with override_settings(NEO4J_URL="bolt://127.0.0.1:1"):
        reset_backend()
        Project.objects.filter(pk=story.pk).delete()
        reset_backend()
    assert run_blocking(lambda: get_backend().fetch_project(uid)).nodes
    out = StringIO()
    call_command("brain_sync", stdout=out)
    assert f"(deleted project {uid}): nodes +0 ~0 -5" in out.getvalue()
    assert run_blocking(lambda: get_backend().fetch_project(uid)).nodes == {}


def test_the_admin_action_rebuilds_a_projects_graph(story: Project, admin_client: Client) -> None:
    run_blocking(lambda: wipe(get_backend(), str(story.uid)))
    response = admin_client.post(
        "/admin/brain/project/",
        {"action": "rebuild_graph", "_selected_action": [story.pk]},
        follow=True,
    )
    assert "nodes +5 ~0 -0, relationships +5 ~0 -0" in response.content.decode()
    assert names(graph_of(story)) == {"Isla", "Agnes"}
