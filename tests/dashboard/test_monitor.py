"""Starting a request from the form, and the monitor's HTMX socket."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import AsyncClient

from brain.models import Project
from executions.events import DjangoEventSink
from executions.models import Execution
from executions.services import RUNNING
from tests import factories
from tests.dashboard.test_pages import member, run
from tests.executions.conftest import PLAN, llm, plan  # noqa: F401  (fixture)
from tests.executions.test_consumers import APP, ORIGIN, session_cookie
from tests.support.fake_llm import FakeLLMServer, json_reply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def project(seeded: None) -> Project:
    return Project.objects.get(slug="the-lantern-keepers")


async def test_the_form_starts_the_run_with_its_options_and_opens_its_monitor(
    llm: FakeLLMServer,  # noqa: F811
    project: Project,
) -> None:
    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    user = await sync_to_async(member)(project)
    client = AsyncClient()
    await client.aforce_login(user)

    response = await client.post(
        "/requests/new/",
        {
            "project": project.pk,
            "prompt": "Outline episode 3",
            "priority": "high",
            "quality_threshold": "65",
            "max_tokens": "20000",
        },
    )

    assert response.status_code == 302
    root = await Execution.objects.aget(kind="orchestration")
    assert response["Location"] == f"/executions/{root.execution_id}/"
    assert root.params["options"] == {
        "priority": "high",
        "maxTokens": 20000,
        "qualityThreshold": 65,
    }
    assert root.requested_by_id == user.pk
    await RUNNING[str(root.execution_id)]
    await root.arefresh_from_db()
    assert root.status == "completed", root.error

    page = (await client.get(response["Location"])).content.decode()
    assert 'data-state="completed"' in page and "Story Department" in page
    assert "Raw JSON" in page


async def connect_monitor(cookie: bytes | None, execution_id: str) -> WebsocketCommunicator:
    headers = [ORIGIN] + ([(b"cookie", cookie)] if cookie else [])
    ws = WebsocketCommunicator(APP, f"/ws/executions/{execution_id}/monitor/", headers=headers)
    assert (await ws.connect())[0]
    return ws


@pytest.fixture
async def running(project: Project) -> dict[str, Any]:
    def make() -> dict[str, Any]:
        root = run(project, status="running")
        return {"run": str(root.execution_id), "cookie": session_cookie("watcher", project)}

    return await sync_to_async(make)()


async def test_monitor_socket_sends_the_page_then_out_of_band_swaps_per_event(
    running: dict[str, Any],
) -> None:
    ws = await connect_monitor(running["cookie"], running["run"])
    first = await ws.receive_from()
    for element in ('id="run-summary"', 'id="orgchart"', 'id="timeline-panel"', 'id="report"'):
        assert element in first
    assert first.count('hx-swap-oob="true"') == 5  # with the (still empty) next-step target
    assert '<div id="next-step" hidden hx-swap-oob="true">' in first

    sink, run_id = DjangoEventSink(), running["run"]
    await sink.emit(run_id, "department-assigned", {"department": "story", "relevance": 0.9})
    assigned = await ws.receive_from()
    assert 'id="orgchart" class="orgchart" hx-swap-oob="true"' in assigned
    assert 'id="dept-story"' in assigned
    assert 'hx-swap-oob="beforeend:#timeline"' in assigned and 'id="ev-1"' in assigned

    await sink.emit(run_id, "department-head-start", {"department": "story", "agentId": "h"})
    started = await ws.receive_from()
    assert 'id="orgchart"' not in started  # only the card that changed
    assert 'id="dept-story"' in started and 'data-state="working"' in started
    assert 'id="ev-2"' in started and 'id="ev-1"' not in started
    await ws.disconnect()


async def test_the_retry_button_appears_live_when_a_watched_run_fails(project: Project) -> None:
    def make() -> dict[str, Any]:
        root = run(project, status="running")
        return {"run": str(root.execution_id), "cookie": session_cookie("doer", project, "user")}

    running = await sync_to_async(make)()
    token = "a" * 32  # the browser's CSRF cookie, which Django accepts as a form token
    ws = await connect_monitor(running["cookie"] + b"; csrftoken=" + token.encode(), running["run"])
    first = await ws.receive_from()
    assert 'data-testid="retry-run"' not in first

    await Execution.objects.filter(execution_id=running["run"]).aupdate(status="failed")
    await DjangoEventSink().emit(running["run"], "error", {"error": "the provider is down"})
    ended = await ws.receive_from()
    assert '<section id="next-step" class="panel next-step" data-testid="next-step" ' in ended
    assert 'data-testid="retry-run"' in ended and "Retry what failed" in ended
    assert f'name="csrfmiddlewaretoken" value="{token}"' in ended  # the form can be posted
    await ws.disconnect()


async def test_a_watched_run_that_pauses_loses_cancel_and_offers_resume_live(
    project: Project,
) -> None:
    def make() -> dict[str, Any]:
        root = run(project, status="running")
        return {"run": str(root.execution_id), "cookie": session_cookie("doer", project, "user")}

    running = await sync_to_async(make)()
    ws = await connect_monitor(running["cookie"], running["run"])
    first = await ws.receive_from()
    assert 'data-testid="cancel-run"' in first and 'data-testid="resume-run"' not in first

    await Execution.objects.filter(execution_id=running["run"]).aupdate(status="paused")
    payload = {"reason": "budget_paused", "budget": "tokens", "metrics": {}}
    await DjangoEventSink().emit(running["run"], "orchestration-paused", payload)
    paused = await ws.receive_from()
    assert 'data-testid="resume-run"' in paused and 'data-testid="cancel-run"' not in paused
    assert "Paused at the budget (tokens)" in paused
    await ws.disconnect()


async def test_monitor_socket_refuses_strangers(running: dict[str, Any]) -> None:
    anonymous = await connect_monitor(None, running["run"])
    assert (await anonymous.receive_output())["code"] == 4401

    def outsider() -> bytes:
        return session_cookie("outsider", factories.project())

    stranger = await connect_monitor(await sync_to_async(outsider)(), running["run"])
    assert (await stranger.receive_output())["code"] == 4403
