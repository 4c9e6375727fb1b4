"""Provider API keys per project: encrypted at rest, used for the project's runs,
never returned by the API or shown in the admin."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from brain.models import Project
from tests.support.fake_llm import FakeLLMServer

Role = Callable[[str | None], APIClient]
LONG_KEY = "sk-" + "k" * 397


def raw_column(project: Project) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT llm_api_key FROM brain_project WHERE id = %s", [project.pk])
        return str(cursor.fetchone()[0])


def test_a_400_character_key_round_trips_encrypted_in_the_raw_column(project: Project) -> None:
    project.llm_api_key = LONG_KEY
    project.save()

    raw = raw_column(project)

    assert raw.startswith("enc1:") and "kkkk" not in raw and len(raw) > 400
    assert Project.objects.get(pk=project.pk).llm_api_key == LONG_KEY


@pytest.mark.django_db(transaction=True)
def test_the_projects_key_is_sent_to_the_provider_for_its_runs(
    as_role: Role, project: Project, llm: FakeLLMServer
) -> None:
    Project.objects.filter(pk=project.pk).update(llm_api_key="")
    project.llm_api_key = "sk-project-key"
    project.save()
    body = {"projectId": project.slug, "userPrompt": "Create a villain", "options": {"wait": True}}

    as_role("user").post("/api/orchestrator/execute", body, format="json")

    authorizations = {h.get("Authorization") for h in llm.request_headers}
    assert authorizations == {"Bearer sk-project-key"}


def test_without_a_project_key_the_site_key_is_used(
    as_role: Role, project: Project, llm: FakeLLMServer
) -> None:
    body = {"agentId": "character-creator-001", "projectId": project.slug, "prompt": "Hi"}

    as_role("user").post("/api/agents/execute", body, format="json")

    assert {h.get("Authorization") for h in llm.request_headers} == {"Bearer site-key"}


def test_the_key_is_never_returned_by_the_api_or_shown_in_the_admin(
    as_role: Role, admin_client: Client, project: Project
) -> None:
    project.llm_api_key = LONG_KEY
    project.save()

    projects = as_role("viewer").get("/api/projects")
    page = admin_client.get(f"/admin/brain/project/{project.pk}/change/")

    assert LONG_KEY not in projects.content.decode()
    assert projects.json()[0]["hasProviderKey"] is True
    assert page.status_code == 200 and LONG_KEY not in page.content.decode()
    assert raw_column(project) not in page.content.decode()


def test_the_admin_keeps_the_key_when_left_blank_and_removes_it_on_request(
    admin_client: Client, project: Project
) -> None:
    from brain.admin import ProjectForm

    project.llm_api_key = "sk-old"
    project.save()
    data = {
        "name": project.name,
        "slug": project.slug,
        "token_budget_per_execution": 50_000,
        "token_budget_daily": 500_000,
        "settings": "{}",
    }

    kept = ProjectForm(data={**data, "llm_api_key": ""}, instance=project)
    cleared = ProjectForm(data={**data, "clear_llm_api_key": "on"}, instance=project)

    assert kept.is_valid(), kept.errors
    assert kept.cleaned_data["llm_api_key"] == "sk-old"
    assert cleared.is_valid() and cleared.cleaned_data["llm_api_key"] == ""
