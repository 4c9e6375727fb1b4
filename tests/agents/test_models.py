"""The rules of spec 4.1 hold in the database and show as admin form errors."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from agents.models import Agent
from tests import factories

pytestmark = pytest.mark.django_db


def refused(**fields: object) -> bool:
    try:
        with transaction.atomic():
            factories.agent(**fields)
    except IntegrityError:
        return True
    return False


def test_database_refuses_a_second_head_in_a_department() -> None:
    department = factories.department()
    factories.agent(department=department, is_department_head=True)
    assert refused(department=department, is_department_head=True)


def test_heads_of_different_departments_are_allowed() -> None:
    factories.agent(is_department_head=True)
    factories.agent(is_department_head=True)
    assert Agent.objects.filter(is_department_head=True).count() == 2


def test_database_refuses_a_head_that_requires_review() -> None:
    assert refused(is_department_head=True, requires_review=True)


def test_database_refuses_a_specialist_without_review() -> None:
    assert refused(is_department_head=False, requires_review=False)


def test_orchestrator_without_department_needs_no_review() -> None:
    orchestrator = factories.agent(department=None, requires_review=False)
    assert orchestrator.role == "orchestrator"


def test_database_refuses_a_head_without_department() -> None:
    assert refused(department=None, is_department_head=True, requires_review=False)


def test_database_refuses_quality_threshold_over_100() -> None:
    assert refused(quality_threshold=101)


def test_database_refuses_department_priority_outside_1_to_10() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.department(priority=11)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.department(priority=0)


def test_database_refuses_a_colour_that_is_not_hex() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.department(color="red")


def agent_form_data(agent: Agent, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "agent_id": agent.agent_id,
        "name": agent.name,
        "description": agent.description,
        "department": agent.department_id or "",
        "model": agent.model,
        "instructions_prompt": agent.instructions_prompt,
        "max_agent_steps": agent.max_agent_steps,
        "loop_detection": agent.loop_detection,
        "specialization": agent.specialization,
        "skills": "[]",
        "required_context": "[]",
        # Browsers post these hidden initials for fields with callable defaults.
        "initial-skills": "[]",
        "initial-required_context": "[]",
        "quality_threshold": agent.quality_threshold,
        "max_retries": agent.max_retries,
        "estimated_tokens_per_run": agent.estimated_tokens_per_run,
    }
    for flag in ("is_department_head", "requires_review", "is_active"):
        if getattr(agent, flag):
            data[flag] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def post_agent(client: Client, agent: Agent, **changes: object) -> str:
    url = f"/admin/agents/agent/{agent.pk}/change/"
    response = client.post(url, agent_form_data(agent, **changes))
    assert response.status_code == 200, "expected the form to be shown again with errors"
    return response.content.decode()


def test_admin_form_shows_error_for_second_head(admin_client: Client) -> None:
    department = factories.department()
    factories.agent(department=department, is_department_head=True)
    specialist = factories.agent(department=department)
    html = post_agent(admin_client, specialist, is_department_head="on", requires_review=None)
    assert "already has a department head" in html


def test_admin_form_shows_error_for_head_requiring_review(admin_client: Client) -> None:
    head = factories.agent(is_department_head=True)
    html = post_agent(admin_client, head, requires_review="on")
    assert "Department heads must have requires review off" in html


def test_admin_form_shows_error_for_specialist_without_review(admin_client: Client) -> None:
    specialist = factories.agent()
    html = post_agent(admin_client, specialist, requires_review=None)
    assert "Specialists must have requires review on" in html


def test_admin_form_shows_error_for_threshold_out_of_range(admin_client: Client) -> None:
    specialist = factories.agent()
    html = post_agent(admin_client, specialist, quality_threshold=150)
    assert "less than or equal to 100" in html


def test_admin_form_shows_error_for_skills_that_are_not_a_list(admin_client: Client) -> None:
    specialist = factories.agent()
    html = post_agent(admin_client, specialist, skills='{"a": 1}')
    assert "Enter a JSON list of strings" in html


def test_department_admin_form_shows_colour_and_priority_errors(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/departments/department/add/",
        {
            "slug": "sound",
            "name": "Sound",
            "color": "blue",
            "priority": 12,
            "max_agent_steps": 20,
            "agents-TOTAL_FORMS": 0,
            "agents-INITIAL_FORMS": 0,
        },
    )
    html = response.content.decode()
    assert "Enter a hex colour" in html
    assert "less than or equal to 10" in html
