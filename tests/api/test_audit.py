"""Spec 10.4: every run start, end and cancel, every configuration change and delete,
through the API, the admin (bulk actions too) and the CLI, and logins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from agents.models import Agent, CustomTool
from aladdin.models import AuditLog
from brain.models import Project
from tests.api.conftest import client_for
from tests.support.fake_llm import FakeLLMServer

Role = Callable[[str | None], APIClient]


@pytest.mark.django_db(transaction=True)
def test_an_api_run_is_audited_at_start_end_and_cancel_with_who_and_where(
    member: Callable[..., Any], project: Project, llm: FakeLLMServer
) -> None:
    user = member("user", project)
    client = client_for(user)
    body = {"projectId": project.slug, "userPrompt": "Create a villain", "options": {"wait": True}}

    execution_id = client.post(
        "/api/orchestrator/execute", body, format="json", HTTP_USER_AGENT="curl/8"
    ).json()["executionId"]
    client.post(f"/api/orchestrator/{execution_id}/cancel", HTTP_USER_AGENT="curl/8")

    rows = {row.action: row for row in AuditLog.objects.filter(resource_id=execution_id)}
    assert set(rows) == {"orchestration.start", "orchestration.end", "orchestration.cancel"}
    start = rows["orchestration.start"]
    assert (start.user, start.ip_address, start.user_agent) == (user, "127.0.0.1", "curl/8")
    assert rows["orchestration.end"].success and rows["orchestration.end"].user == user
    cancel = rows["orchestration.cancel"]
    assert not cancel.success and cancel.error_message == "The run had already finished."


def test_admin_deletes_and_bulk_actions_are_audited(admin_client: Client, project: Project) -> None:
    specialists = Agent.objects.filter(department__slug="audio", is_department_head=False)
    ids = [str(pk) for pk in specialists.values_list("pk", flat=True)]
    victim = Agent.objects.get(agent_id="story-head-001")
    tool_ids = [
        str(pk) for pk in CustomTool.objects.order_by("pk").values_list("pk", flat=True)[:2]
    ]

    admin_client.post("/admin/agents/agent/", {"action": "deactivate", "_selected_action": ids})
    admin_client.post(
        "/admin/agents/customtool/",
        {"action": "delete_selected", "_selected_action": tool_ids, "post": "yes"},
    )
    admin_client.post(f"/admin/agents/agent/{victim.pk}/delete/", {"post": "yes"})

    bulk = AuditLog.objects.get(action="agent.deactivate")
    assert sorted(bulk.changes["ids"]) == sorted(ids) and bulk.user is not None
    deletes = AuditLog.objects.filter(action="customtool.delete")
    assert sorted(deletes.values_list("resource_id", flat=True)) == sorted(tool_ids)
    single = AuditLog.objects.get(action="agent.delete")
    assert single.resource_id == str(victim.pk) and single.changes["via"] == "admin"


def test_an_admin_save_of_an_agent_is_audited_once_with_its_new_version(
    admin_client: Client, project: Project
) -> None:
    agent = Agent.objects.get(agent_id="story-head-001")
    page = admin_client.get(f"/admin/agents/agent/{agent.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "quality_threshold": 91,
            "skills": '["story"]',
            "required_context": '["project"]',
            "department": agent.department_id,
            "tools": [t.pk for t in agent.tools.all()],
        }
    )

    admin_client.post(f"/admin/agents/agent/{agent.pk}/change/", data)

    rows = AuditLog.objects.filter(resource="agent", resource_id="story-head-001")
    assert [r.action for r in rows] == ["agent.update"]
    assert rows[0].changes["version"] == "1.0.1"


def test_logins_and_failed_logins_through_the_login_page_are_audited(
    member: Callable[..., Any], project: Project
) -> None:
    user = member("user", project)
    client = Client()

    client.post("/admin/login/", {"username": user.username, "password": "wrong"})
    client.post("/admin/login/", {"username": user.username, "password": "pw-long-enough-1"})

    failed = AuditLog.objects.get(action="auth.login_failed")
    assert failed.resource_id == user.username and failed.ip_address == "127.0.0.1"
    assert "wrong" not in str(failed.changes)


@pytest.mark.django_db(transaction=True)
def test_a_cli_run_is_audited_as_cli(project: Project, llm: FakeLLMServer) -> None:
    call_command("orchestrate", "--project", project.slug, "--json", "Create a villain")

    rows = AuditLog.objects.filter(action__startswith="orchestration.")
    assert {r.action for r in rows} == {"orchestration.start", "orchestration.end"}
    assert {r.user_agent for r in rows} == {"cli"}


def test_api_agent_and_tool_changes_are_audited(as_role: Role) -> None:
    client = as_role("admin")

    client.patch("/api/agents/story-head-001", {"maxRetries": 4}, format="json")
    client.delete("/api/tools/search_brain")

    assert AuditLog.objects.get(action="agent.update").changes["fields"] == ["max_retries"]
    assert AuditLog.objects.get(action="tool.delete").resource_id == "search_brain"


def test_the_audit_log_is_read_only_and_filterable_in_the_admin(admin_client: Client) -> None:
    from aladdin import audit

    row = audit.record("agent.update", "agent", "x", changes={"fields": ["name"]})

    listing = admin_client.get("/admin/aladdin/auditlog/?success__exact=1&action=agent.update")
    change = admin_client.post(f"/admin/aladdin/auditlog/{row.pk}/change/", {"action": "x"})

    assert listing.status_code == 200 and "agent.update" in listing.content.decode()
    assert admin_client.get("/admin/aladdin/auditlog/add/").status_code == 403
    assert change.status_code == 403
    assert AuditLog.objects.get(pk=row.pk).action == "agent.update"
