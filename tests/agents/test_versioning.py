"""Saving a changed configuration makes a new agent version with a changelog entry."""

from __future__ import annotations

import pytest
from django.test import Client

from agents import services
from agents.models import Agent
from aladdin.models import AuditLog
from tests import factories
from tests.agents.test_models import agent_form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("before", "after"), [("1.0.0", "1.0.1"), ("2.3.9", "2.3.10"), ("beta", "1.0.1")]
)
def test_next_version_bumps_the_patch_number(before: str, after: str) -> None:
    assert services.next_version(before) == after


def test_admin_change_of_prompt_bumps_version_and_logs_it(admin_client: Client) -> None:
    agent = factories.agent(instructions_prompt="Old prompt.")
    response = admin_client.post(
        f"/admin/agents/agent/{agent.pk}/change/",
        agent_form_data(agent, instructions_prompt="A sharper prompt."),
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.version == "1.0.1"
    assert agent.changelog[-1]["version"] == "1.0.1"
    assert agent.changelog[-1]["fields"] == ["instructions_prompt"]
    assert agent.changelog[-1]["author"] == "boss"
    assert AuditLog.objects.filter(action="agent.update", resource_id=agent.agent_id).exists()


def test_saving_without_changes_keeps_the_version(admin_client: Client) -> None:
    agent = factories.agent()
    response = admin_client.post(f"/admin/agents/agent/{agent.pk}/change/", agent_form_data(agent))
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.version == "1.0.0"
    assert agent.changelog == []


def test_activation_is_not_a_new_version() -> None:
    agent = factories.agent()
    assert not services.apply_configuration_change(agent, ["is_active"])
    assert agent.version == "1.0.0"


def test_duplicate_makes_a_fresh_specialist_copy_of_a_head() -> None:
    tool = factories.tool()
    head = factories.agent(is_department_head=True, total_executions=7, version="1.0.4")
    head.tools.add(tool)
    copy = services.duplicate_agent(head)
    assert copy.agent_id == f"{head.agent_id}-copy"
    assert not copy.is_department_head and copy.requires_review
    assert copy.total_executions == 0 and copy.version == "1.0.0"
    assert list(copy.tools.all()) == [tool]
    second = services.duplicate_agent(head)
    assert second.agent_id == f"{head.agent_id}-copy-2"


def test_bulk_deactivate_action(admin_client: Client) -> None:
    first, second = factories.agent(), factories.agent()
    admin_client.post(
        "/admin/agents/agent/",
        {"action": "deactivate", "_selected_action": [first.pk, second.pk]},
    )
    assert Agent.objects.filter(is_active=False).count() == 2
