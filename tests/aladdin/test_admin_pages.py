"""Every admin page renders for a staff user, with the seeded data in place."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from executions.models import Execution, ExecutionEvent, ToolCall

pytestmark = pytest.mark.django_db

OUR_APPS = {"aladdin", "agents", "departments", "brain", "executions"}
REGISTERED = [model for model in admin.site._registry if model._meta.app_label in OUR_APPS]


def some_execution() -> Execution:
    from agents.models import Agent

    agent = Agent.objects.filter(department__isnull=False).first()
    execution = Execution.objects.create(agent=agent, prompt="Write a scene", status="completed")
    ExecutionEvent.objects.create(execution=execution, sequence=1, type="orchestration-start")
    from django.utils import timezone

    ToolCall.objects.create(
        execution=execution,
        tool_name="search_brain",
        input={"query": "x"},
        started_at=timezone.now(),
    )
    return execution


def test_every_model_of_ours_is_in_the_admin() -> None:
    ours = {m for m in apps.get_models() if m._meta.app_label in OUR_APPS}
    assert ours <= set(REGISTERED), ours - set(REGISTERED)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_changelist_and_change_pages_render(
    seeded: None, admin_client: Client, model: type
) -> None:
    some_execution()
    opts = model._meta
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    first = model.objects.first()
    if first is not None:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk])
        assert admin_client.get(url).status_code == 200
    if admin.site._registry[model].has_add_permission(changelist.wsgi_request):
        add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert add.status_code == 200


def test_search_and_filters_work_on_agents(seeded: None, admin_client: Client) -> None:
    response = admin_client.get("/admin/agents/agent/?q=dialogue&is_department_head__exact=0")
    assert response.status_code == 200
    assert "dialogue-writer-001" in response.content.decode()


def test_department_page_lists_its_agents_inline(seeded: None, admin_client: Client) -> None:
    from departments.models import Department

    story = Department.objects.get(slug="story")
    html = admin_client.get(f"/admin/departments/department/{story.pk}/change/").content.decode()
    assert "story-head-001" in html and "dialogue-writer-001" in html


def test_execution_page_is_read_only_with_events_and_tool_calls(
    seeded: None, admin_client: Client
) -> None:
    execution = some_execution()
    html = admin_client.get(f"/admin/executions/execution/{execution.pk}/change/").content.decode()
    assert "orchestration-start" in html and "search_brain" in html
    assert 'name="_save"' not in html


def test_agent_page_lists_its_recent_runs(seeded: None, admin_client: Client) -> None:
    execution = some_execution()
    agent = execution.agent
    assert agent is not None
    html = admin_client.get(f"/admin/agents/agent/{agent.pk}/change/").content.decode()
    assert f"/admin/executions/execution/{execution.pk}/change/" in html


def test_project_page_shows_what_was_spent_today(seeded: None, admin_client: Client) -> None:
    from brain.models import Project

    project = Project.objects.get()
    Execution.objects.create(
        project=project, kind="specialist", status="completed", total_tokens=1234
    )
    html = admin_client.get(f"/admin/brain/project/{project.pk}/change/").content.decode()
    assert "1,234 tokens" in html
