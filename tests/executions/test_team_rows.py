"""The team's rows are read once and kept while the agent tables are unchanged: every
save (admin, API, services) and every tool link made or undone is seen by the next
request, and the rows are read again at least once an estimates period."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Agent, CustomTool
from agents.services import set_active
from departments.models import Department
from executions.selectors import team_for

pytestmark = pytest.mark.django_db


def agent_reads(context: CaptureQueriesContext) -> int:
    """Reads of the agents' full rows (their prompts among the columns)."""
    return sum('"agents_agent"."instructions_prompt"' in q["sql"] for q in context)


def specialist_ids() -> set[str]:
    return {s.agent_id for d in team_for(None).departments for s in d.specialists}


def test_an_unchanged_team_is_not_read_again(seeded: None) -> None:
    with CaptureQueriesContext(connection) as first:
        team_for(None)
    with CaptureQueriesContext(connection) as later:
        again = team_for(None)
    assert agent_reads(first) >= 1
    assert agent_reads(later) == 0
    assert len(again.departments) == 6


def test_a_saved_agent_is_seen_by_the_next_request(seeded: None) -> None:
    team_for(None)
    agent = Agent.objects.exclude(department=None).filter(is_department_head=False).first()
    assert agent is not None
    agent.instructions_prompt = "Write only in haiku."
    agent.save()
    specs = {s.agent_id: s for d in team_for(None).departments for s in d.specialists}
    assert specs[agent.agent_id].instructions_prompt == "Write only in haiku."


def test_agents_switched_off_in_bulk_leave_the_team(seeded: None) -> None:
    before = specialist_ids()
    agent = Agent.objects.exclude(department=None).filter(is_department_head=False).first()
    assert agent is not None and agent.agent_id in before
    set_active(Agent.objects.filter(pk=agent.pk), active=False)
    assert specialist_ids() == before - {agent.agent_id}


def test_a_tool_linked_to_an_agent_reaches_its_spec(seeded: None) -> None:
    team_for(None)
    agent = Agent.objects.exclude(department=None).filter(is_department_head=False).first()
    assert agent is not None
    tool = CustomTool.objects.filter(is_global=True, is_active=True).exclude(agents=agent).first()
    if tool is None:  # every global tool is linked already: unlink one, then link it back
        tool = agent.tools.filter(is_global=True, is_active=True).first()
        assert tool is not None
        agent.tools.remove(tool)
        team_for(None)
    agent.tools.add(tool)
    specs = {s.agent_id: s for d in team_for(None).departments for s in d.specialists}
    assert tool.tool_name in {t.name for t in specs[agent.agent_id].tools}


def test_a_department_switched_off_leaves_the_team(seeded: None) -> None:
    team_for(None)
    audio = Department.objects.get(slug="audio")
    audio.is_active = False
    audio.save()
    assert "audio" not in {d.slug for d in team_for(None).departments}
