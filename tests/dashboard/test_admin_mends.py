"""The admin without rough edges: form errors instead of 500s, readable results."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from agents.models import Agent
from departments.models import Department
from executions.models import Execution

pytestmark = pytest.mark.django_db


def inline_post(client: Client, department: Department) -> dict[str, str]:
    """The department page's form as the browser would send it, unchanged."""
    page = client.get(f"/admin/departments/department/{department.pk}/change/")
    data: dict[str, str] = {}
    for form in [page.context["adminform"].form, *page.context["inline_admin_formsets"][0].formset]:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else str(value)
    management = page.context["inline_admin_formsets"][0].formset.management_form
    for name in management.fields:
        data[management.add_prefix(name)] = str(management[name].value())
    return data


def test_a_second_head_in_the_department_inline_is_a_form_error_naming_the_head(
    seeded: None, admin_client: Client
) -> None:
    story = Department.objects.get(slug="story")
    data = inline_post(admin_client, story)
    agents = list(
        Agent.objects.filter(department=story).order_by("-is_department_head", "agent_id")
    )
    second = agents.index(next(a for a in agents if not a.is_department_head))
    data[f"agents-{second}-is_department_head"] = "on"
    data.pop(f"agents-{second}-requires_review", None)

    response = admin_client.post(f"/admin/departments/department/{story.pk}/change/", data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "story-head-001 is already this department&#x27;s head" in html
    assert Agent.objects.filter(department=story, is_department_head=True).count() == 1


def test_orchestration_page_shows_score_decision_and_a_formatted_result(
    seeded: None, admin_client: Client
) -> None:
    root = Execution.objects.create(
        kind=Execution.Kind.ORCHESTRATION,
        prompt="Create a villain",
        status="completed",
        output={
            "overallQuality": 82.4,
            "decision": "accept",
            "recommendation": "ingest",
            "departmentReports": [
                {
                    "department": "character",
                    "name": "Character Department",
                    "status": "completed",
                    "score": 82.4,
                    "decision": "accept",
                    "report": {"summary": "Morrow, a cold villain"},
                }
            ],
        },
    )
    html = admin_client.get(f"/admin/executions/execution/{root.pk}/change/").content.decode()
    assert re.search(r"Score:</label>\s*<div class=\"readonly\">82</div>", html)
    assert "accept (ingest)" in html
    assert "<td>Morrow, a cold villain</td>" in html
    assert "<pre" in html  # the raw JSON, indented, not one line

    listing = admin_client.get("/admin/executions/execution/").content.decode()
    assert "Create a villain" in listing and "column-score" in listing


def test_project_page_says_usd_budget(seeded: None, admin_client: Client) -> None:
    from brain.models import Project

    project = Project.objects.get(slug="the-lantern-keepers")
    html = admin_client.get(f"/admin/brain/project/{project.pk}/change/").content.decode()
    assert "USD budget per execution" in html and "Usd budget" not in html


def test_admin_pages_have_the_favicon(seeded: None, admin_client: Client) -> None:
    assert "aladdin/favicon.svg" in admin_client.get("/admin/").content.decode()
    assert Client().get("/favicon.ico")["Location"].endswith("aladdin/favicon.svg")


def test_saving_an_agent_names_it_with_its_id_in_lower_case(
    seeded: None, admin_client: Client
) -> None:
    agent = Agent.objects.get(agent_id="story-head-001")
    url = f"/admin/agents/agent/{agent.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data: dict[str, object] = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, list) and name not in {"skills", "required_context"}:
            data[name] = [getattr(v, "pk", v) for v in value]
        elif name in {"skills", "required_context", "loop_detection"}:
            data[name] = value if isinstance(value, str) else json.dumps(value)
        else:
            data[name] = "on" if value is True else value
    data["quality_threshold"] = 70

    html = admin_client.post(url, data, follow=True).content.decode()

    assert "of story-head-001." in html and "Story-head-001" not in html
