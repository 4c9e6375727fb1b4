"""GET /api/departments, /api/projects; GET/POST/PUT/DELETE /api/tools."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from rest_framework.test import APIClient

from agents.models import CustomTool
from aladdin.models import AuditLog
from brain.models import Project
from tests import factories

Role = Callable[[str | None], APIClient]
HTTP_TOOL = {
    "toolName": "lookup_weather",
    "displayName": "Weather lookup",
    "description": "Call when a scene needs the weather.",
    "inputSchema": {"type": "object", "properties": {"place": {"type": "string"}}},
    "implementation": "http",
    "endpointUrl": "https://tools.example.com/weather",
    "signingSecret": "s" * 400,
    "departments": ["visual"],
}


def test_departments_list_their_heads_and_agents(as_role: Role) -> None:
    departments = as_role("viewer").get("/api/departments").json()

    story = next(d for d in departments if d["slug"] == "story")
    assert len(departments) == 6
    assert story["headAgentId"] == "story-head-001"
    assert "story-head-001" in story["agentIds"]


def test_projects_lists_only_the_callers_projects_with_their_world(
    as_role: Role, project: Project
) -> None:
    factories.project(slug="not-mine")

    projects = as_role("viewer").get("/api/projects").json()

    assert [p["slug"] for p in projects] == [project.slug]
    assert projects[0]["role"] == "viewer"
    assert projects[0]["episodes"] and projects[0]["characters"]
    assert "scenes" in projects[0]["episodes"][0]
    assert "llmApiKey" not in projects[0] and projects[0]["hasProviderKey"] is False


def test_tools_create_read_update_delete_without_ever_returning_the_secret(
    as_role: Role,
) -> None:
    client = as_role("admin")

    created = client.post("/api/tools", HTTP_TOOL, format="json")
    updated = client.put("/api/tools/lookup_weather", {"isActive": False}, format="json")
    listed = client.get("/api/tools").json()

    assert created.status_code == 201, created.json()
    assert created.json()["hasSigningSecret"] is True and created.json()["departments"] == [
        "visual"
    ]
    assert "s" * 400 not in created.content.decode() + updated.content.decode()
    assert updated.json()["isActive"] is False
    assert "lookup_weather" in [t["toolName"] for t in listed]
    assert CustomTool.objects.get(tool_name="lookup_weather").signing_secret == "s" * 400
    assert client.delete("/api/tools/lookup_weather").status_code == 204
    gone = client.get("/api/tools/lookup_weather")
    assert gone.status_code == 404
    assert gone.json()["error"] == "No tool 'lookup_weather'. GET /api/tools lists them."
    actions = set(AuditLog.objects.filter(resource="tool").values_list("action", flat=True))
    assert actions == {"tool.create", "tool.update", "tool.delete"}


def test_a_tools_secret_is_encrypted_in_the_raw_column(as_role: Role) -> None:
    as_role("admin").post("/api/tools", HTTP_TOOL, format="json")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT signing_secret FROM agents_customtool WHERE tool_name = %s", ["lookup_weather"]
        )
        raw = cursor.fetchone()[0]

    assert raw.startswith("enc1:") and "sss" not in raw


def test_tools_refuse_invalid_definitions_with_field_errors(as_role: Role) -> None:
    client = as_role("admin")

    no_url = client.post("/api/tools", {**HTTP_TOOL, "endpointUrl": ""}, format="json")
    bad_name = client.post("/api/tools", {**HTTP_TOOL, "toolName": "1abc"}, format="json")
    bad_dept = client.post("/api/tools", {**HTTP_TOOL, "departments": ["nope"]}, format="json")

    assert no_url.status_code == 400 and no_url.json()["fields"]
    assert "toolName" in bad_name.json()["fields"]
    assert "departments" in bad_dept.json()["fields"]
    assert not CustomTool.objects.filter(tool_name="lookup_weather").exists()


def test_tool_writes_need_configure_and_deletes_need_delete(as_role: Role) -> None:
    user = as_role("user")

    assert user.post("/api/tools", HTTP_TOOL, format="json").json()["permission"] == (
        "agent:configure"
    )
    assert user.delete("/api/tools/search_brain").json()["permission"] == "agent:delete"
    assert user.get("/api/tools/search_brain").status_code == 200
