"""What the hot read endpoints cost per request (spec 12.1): statements, shapes, hand-offs.

Upper bounds on SQL statements only; times are measured by bench/bench_api.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from aladdin.handlers import ASGIHandler
from api import selectors
from api.serializers.executions import ExecutionOut
from brain import access
from brain.models import Project
from executions.models import Conversation, Execution, ExecutionEvent
from tests import factories
from tests.api.test_executions import tree

Role = Callable[[str | None], APIClient]
MaxQueries = Callable[..., DjangoAssertNumQueries]


def test_listing_agents_takes_at_most_five_statements(
    as_role: Role, django_assert_max_num_queries: MaxQueries
) -> None:
    client = as_role("viewer")
    # user, "agent:read on some project", the page, its tools, the count
    with django_assert_max_num_queries(5):
        assert client.get("/api/agents").status_code == 200


def test_listing_executions_takes_at_most_seven_statements(
    as_role: Role, project: Project, django_assert_max_num_queries: MaxQueries
) -> None:
    tree(project)
    client = as_role("viewer")
    # user, the caller's projects; for the one project and for the caller's project-less
    # runs, the newest ids and the count (each one index range); the page's rows
    with django_assert_max_num_queries(7):
        assert client.get("/api/executions").status_code == 200


def test_a_status_poll_takes_at_most_four_statements(
    as_role: Role, project: Project, django_assert_max_num_queries: MaxQueries
) -> None:
    root = tree(project)
    client = as_role("viewer")
    # user, the run, the caller's role on its project, the events
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/orchestrator/status/{root.execution_id}")
    assert response.status_code == 200
    assert [event["sequence"] for event in response.json()["events"]] == [1]


def test_a_status_poll_lists_only_events_after_since_but_counts_progress_from_all(
    as_role: Role, project: Project
) -> None:
    root = tree(project)
    for sequence in (2, 3):
        ExecutionEvent.objects.create(execution=root, sequence=sequence, type="phase")
    body = as_role("viewer").get(f"/api/orchestrator/status/{root.execution_id}?since=2").json()
    assert [event["sequence"] for event in body["events"]] == [3]
    assert body["lastSequence"] == 3
    assert set(body["events"][0]) == {"sequence", "type", "timestamp", "payload"}


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles"])
def test_the_executions_list_renders_each_run_as_its_serializer_renders_the_model(
    as_role: Role, project: Project, settings: Any, zone: str
) -> None:
    settings.TIME_ZONE = zone
    root = tree(project)
    finished(root)
    orphan = Execution.objects.create(kind="agent", status="failed", error_type="timeout")
    body = as_role("viewer").get("/api/executions?limit=500").json()
    runs = Execution.objects.filter(root=root).select_related(*selectors.RELATED)
    expected = {str(run.execution_id): dict(ExecutionOut(run).data) for run in runs}
    assert {row["executionId"]: row for row in body["results"]} == expected
    assert str(orphan.execution_id) not in expected  # not the caller's: not listed
    assert any(row["conversationId"] and row["cost"] for row in body["results"])


def finished(root: Execution) -> None:
    """Every field the list shows filled in on the root: times, cost, conversation."""
    started = timezone.now() - timedelta(minutes=3)
    root.conversation = Conversation.objects.create(project=root.project, title="Villains")
    root.started_at, root.completed_at = started, started + timedelta(seconds=95, microseconds=7)
    root.cost, root.overall_score, root.decision = 0.0123, 84.5, "approved"
    root.model, root.agent_version, root.execution_time = "gpt-4o-mini", "3", 95000
    root.save()


def test_runs_outside_the_callers_projects_answer_404_on_status(
    project: Project, member: Callable[..., Any]
) -> None:
    root = tree(project)
    other = factories.project()
    outsider = member("admin", other)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(outsider).access_token}")
    unknown = "00000000-0000-4000-8000-000000000000"
    hidden = client.get(f"/api/orchestrator/status/{root.execution_id}")
    missing = client.get(f"/api/orchestrator/status/{unknown}")
    assert hidden.status_code == missing.status_code == 404
    # A hidden run looks like no run at all: the answers differ only in the id asked.
    assert hidden.json()["error"].replace(str(root.execution_id), "<id>") == missing.json()[
        "error"
    ].replace(unknown, "<id>")


@pytest.mark.django_db
def test_projects_with_keeps_inactive_projects_to_their_admins() -> None:
    active, inactive = factories.project(), factories.project(is_active=False)
    viewer, admin = factories.user(), factories.user()
    factories.member(active, "viewer", viewer)
    factories.member(inactive, "viewer", viewer)
    factories.member(inactive, "admin", admin)
    assert set(access.projects_with(viewer, "project:read")) == {active}
    assert set(access.projects_with(admin, "project:read")) == {inactive}
    assert list(access.projects_with(AnonymousUser())) == []


@pytest.mark.django_db(transaction=True)
def test_the_asgi_handler_answers_an_api_request_and_an_async_view() -> None:
    user = factories.member(factories.project(), "user")
    token = str(RefreshToken.for_user(user).access_token)
    handler = ASGIHandler()
    assert (
        asyncio.run(call(handler, "/api/agents", [(b"authorization", b"Bearer " + token.encode())]))
        == 200
    )
    # dashboard.views.new_request is `async def`; anonymous, it redirects to the login page.
    assert asyncio.run(call(handler, "/requests/new/", [])) == 302


async def call(handler: ASGIHandler, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    received: list[dict[str, Any]] = []
    answered = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not received:
            received.append({})
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
        elif not message.get("more_body"):
            answered.set()

    await handler(scope, receive, send)
    return statuses[0]


def test_the_agents_list_names_each_agents_tools_sorted_as_its_detail_does(
    as_role: Role,
) -> None:
    client = as_role("viewer")
    agent = factories.agent()
    agent.tools.add(factories.tool(tool_name="zeta_tool"), factories.tool(tool_name="alpha_tool"))
    listed = {row["agentId"]: row for row in client.get("/api/agents?limit=500").json()["results"]}
    detail = client.get(f"/api/agents/{agent.agent_id}").json()
    assert listed[agent.agent_id]["toolNames"] == ["alpha_tool", "zeta_tool"]
    assert all(
        row["toolNames"] == client.get(f"/api/agents/{agent_id}").json()["toolNames"]
        for agent_id, row in listed.items()
    )
    assert detail["toolNames"] == ["alpha_tool", "zeta_tool"]
