"""Each role against spec 10.1's table, generated from brain.access.PERMISSIONS.

Every permission of the table is either exercised through an endpoint that
needs it, or listed as having no API endpoint: adding a permission without
deciding fails this file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from brain.access import PERMISSIONS, TEAM_PERMISSIONS
from brain.models import Project, ProjectRole
from executions.services import create_orchestration
from tests.api.conftest import client_for
from tests.support.fake_llm import FakeLLMServer


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    body: dict[str, Any] | None = None


def _pending_run(project: Project) -> str:
    return str(create_orchestration(project, "Plan episode 3").execution_id)


PROBES: dict[str, Callable[[Project], Probe]] = {
    "agent:read": lambda p: Probe("get", "/api/agents/story-head-001"),
    "agent:execute": lambda p: Probe(
        "post",
        "/api/agents/execute",
        {"agentId": "character-creator-001", "projectId": p.slug, "prompt": "Hi"},
    ),
    "agent:configure": lambda p: Probe("patch", "/api/agents/story-head-001", {"isActive": True}),
    "agent:delete": lambda p: Probe("delete", "/api/tools/search_brain"),
    "execution:read": lambda p: Probe("get", f"/api/executions/{_pending_run(p)}"),
    "execution:cancel": lambda p: Probe("post", f"/api/orchestrator/{_pending_run(p)}/cancel"),
    "project:read": lambda p: Probe(
        "get", f"/api/analytics/performance?timeframe=7d&projectId={p.slug}"
    ),
}
# Projects are edited in the admin; the API of spec 11.1 only reads them.
NO_API_ENDPOINT = {"project:write", "project:delete"}
ROLES = [ProjectRole.VIEWER, ProjectRole.USER, ProjectRole.ADMIN]


def test_every_permission_is_probed_or_has_no_endpoint() -> None:
    assert set(PROBES) | NO_API_ENDPOINT == set(PERMISSIONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("permission", sorted(PROBES))
def test_role_gets_exactly_the_permissions_of_the_table(
    permission: str,
    role: str,
    member: Callable[..., Any],
    project: Project,
    llm: FakeLLMServer,
) -> None:
    probe = PROBES[permission](project)
    client: APIClient = client_for(member(role, project))

    response = getattr(client, probe.method)(probe.path, probe.body, format="json")

    # Agents and tools are every project's: a project role alone never changes them.
    if role in PERMISSIONS[permission] and permission not in TEAM_PERMISSIONS:
        assert response.status_code < 400, (permission, role, response.content)
    else:
        assert response.status_code in {403, 404}, (permission, role, response.content)
        if response.status_code == 403:
            assert response.json()["permission"] == permission


@pytest.mark.parametrize("permission", sorted(PROBES))
def test_someone_outside_the_project_is_refused_everything(
    permission: str, member: Callable[..., Any], project: Project
) -> None:
    probe = PROBES[permission](project)

    response = getattr(client_for(member(None)), probe.method)(
        probe.path, probe.body, format="json"
    )

    assert response.status_code in {403, 404}


@pytest.mark.parametrize("permission", sorted(TEAM_PERMISSIONS))
def test_the_team_is_changed_with_the_admins_model_permission(
    permission: str, member: Callable[..., Any], project: Project, llm: FakeLLMServer
) -> None:
    from django.contrib.auth.models import Permission

    probe = PROBES[permission](project)
    user = member(ProjectRole.USER, project)
    codename = TEAM_PERMISSIONS[permission].split(".")[1]
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="agents", codename=codename)
    )

    response = getattr(client_for(user), probe.method)(probe.path, probe.body, format="json")

    assert response.status_code < 400, response.content
