"""The script pages, the admin upload and the API endpoint: the same import, each
behind the project's permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient, Client

from brain.models import Project, Scene, SceneElement
from executions.services import RUNNING
from screenplay.importing import import_script
from screenplay.models import BreakdownRun, ContinuityWarning, ElementProposal, ScriptImport
from tests import factories
from tests.executions.conftest import llm  # noqa: F401  (fixture)
from tests.screenplay.helpers import script_bytes
from tests.screenplay.test_breakdown import team  # noqa: F401  (fixture)
from tests.support.fake_llm import FakeLLMServer

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(name: str = "pilot.fountain", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, script_bytes("pilot.fountain") if data is None else data)


def test_a_writer_imports_a_script_on_the_project_page(project: Project) -> None:
    client = client_for(factories.member(project, "user"))
    url = f"/projects/{project.slug}/script/"
    response = client.post(url, {"file": upload(), "episode": 1}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Imported 5 scenes into episode 1: 5 added" in page
    assert "INT. HARBOUR MASTER&#x27;S OFFICE - SAME TIME" in page
    assert ScriptImport.objects.get(project=project).created_by is not None


def test_a_one_scene_import_is_reported_in_the_singular_as_a_success(project: Project) -> None:
    client = client_for(factories.member(project, "user"))
    one = upload("short.fountain", b"EXT. HARBOUR - NIGHT\n\nThe quay is empty.\n")
    response = client.post(
        f"/projects/{project.slug}/script/", {"file": one, "episode": 4}, follow=True
    )
    page = response.content.decode()
    summary = (
        "Imported 1 scene into episode 4: 1 added, 0 changed, 0 removed; "
        "0 new characters, 1 new location."
    )
    assert f'<div class="notice notice-success" role="status">{summary}</div>' in page


def test_bad_input_on_the_page_is_a_form_error_naming_the_line(project: Project) -> None:
    client = client_for(factories.member(project, "admin"))
    bad = upload("notes.fountain", b"Some notes.\n\nNo heading here.\n")
    response = client.post(f"/projects/{project.slug}/script/", {"file": bad, "episode": 1})
    assert response.status_code == 400
    assert "notes.fountain: Line 1: no scene heading in the file" in response.content.decode()
    assert not Scene.objects.exists()


def test_a_viewer_reads_but_cannot_import_and_strangers_see_nothing(project: Project) -> None:
    viewer = client_for(factories.member(project, "viewer"))
    url = f"/projects/{project.slug}/script/"
    assert viewer.get(url).status_code == 200
    refused = viewer.post(url, {"file": upload(), "episode": 1})
    assert refused.status_code == 403 and not ScriptImport.objects.exists()
    assert client_for(factories.user()).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_the_scene_page_confirms_pending_elements(project: Project) -> None:
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    scene = Scene.objects.get(episode__project=project, scene_number=2)
    run = BreakdownRun.objects.create(project=project, status="collected")
    keep = ElementProposal.objects.create(
        run=run, scene=scene, category="props", name="Lantern", evidence="A brass LANTERN", line=17
    )
    flagged = ElementProposal.objects.create(
        run=run, scene=scene, category="animals", name="Gull", evidence="a gull", status="flagged"
    )
    client = client_for(factories.member(project, "user"))
    url = f"/projects/{project.slug}/script/scenes/{scene.pk}/"
    page = client.get(url).content.decode()
    assert "A brass LANTERN hangs on a hook." in page and "flagged" in page
    client.post(url, {"action": "confirm", "proposal": [keep.pk, flagged.pk]})
    assert SceneElement.objects.get(scene=scene).element.name == "Lantern"
    flagged.refresh_from_db()
    assert flagged.status == "flagged"


def test_warnings_are_dismissed_with_a_reason_on_the_continuity_page(project: Project) -> None:
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    client = client_for(factories.member(project, "user"))
    url = f"/projects/{project.slug}/script/continuity/"
    warning = ContinuityWarning.objects.get(project=project, rule="two_places")
    assert "Steel is at HARBOUR MASTER&#x27;S OFFICE" in client.get(url).content.decode()
    client.post(url, {"action": "dismiss", "id": warning.pk, "reason": "On the radio"})
    warning.refresh_from_db()
    assert warning.dismissed_reason == "On the radio" and warning.dismissed_by is not None


def test_documents_download_from_the_page(project: Project) -> None:
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    client = client_for(factories.member(project, "viewer"))
    base = f"/projects/{project.slug}/script/documents/"
    csv_response = client.get(base + "scenes-csv")
    assert csv_response["Content-Disposition"].startswith("attachment")
    assert b"HARBOUR" in csv_response.content
    assert client.get(base + "bible-pdf").content.startswith(b"%PDF")
    assert client.get(base + "fountain?episode=1&scene=2").content.startswith(
        b"INT. LIGHTHOUSE - LAMP ROOM - DAY #2#"
    )
    assert client.get(base + "nonsense").status_code == 400


def test_the_admin_upload_imports_through_the_same_service(
    project: Project, admin_client: Client
) -> None:
    response = admin_client.post(
        "/admin/screenplay/scriptimport/add/",
        {"project": project.pk, "file": upload(), "episode": 3},
        follow=True,
    )
    assert "Imported 5 scenes into episode 3" in response.content.decode()
    assert ScriptImport.objects.get(project=project).episode.episode_number == 3


def test_the_api_imports_a_script_and_explains_bad_input(project: Project) -> None:
    client = client_for(factories.member(project, "user"))
    url = f"/api/projects/{project.uid}/scripts"
    response = client.post(url, {"file": upload(), "episode": 2})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["scenes"] == 5 and len(body["added"]) == 5 and body["format"] == "fountain"
    empty = client.post(url, {"file": upload("empty.fountain", b"\n"), "episode": 2})
    assert empty.status_code == 400
    assert empty.json()["fields"]["file"] == ["Line 1: the file is empty."]
    viewer = client_for(factories.member(project, "viewer"))
    assert viewer.post(url, {"file": upload()}).status_code == 403


async def test_the_page_starts_a_breakdown_that_the_team_runs(
    project: Project,
    team: FakeLLMServer,  # noqa: F811
) -> None:
    from asgiref.sync import sync_to_async

    await sync_to_async(import_script)(project, script_bytes("pilot.fountain"), "pilot.fountain")
    user = await sync_to_async(factories.member)(project, "user")
    client = AsyncClient()
    await sync_to_async(client.force_login)(user)
    response = await client.post(f"/projects/{project.slug}/script/breakdown/")
    assert response.status_code == 302
    run = await BreakdownRun.objects.select_related("execution").aget(project=project)
    await RUNNING[str(run.execution.execution_id)]  # the run goes on in this process
    page = await client.get(f"/projects/{project.slug}/script/")
    assert "elements to review" in page.content.decode()
    assert await ElementProposal.objects.filter(run=run, status="pending").acount() == 4
