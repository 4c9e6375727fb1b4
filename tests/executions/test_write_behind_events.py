"""An orchestration does not wait for its events' commits and bells: it goes on while
they are written, in order, and it answers once all of them are in the log."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from brain.models import Project
from executions.events import add_event_listener, remove_event_listener
from executions.models import ExecutionEvent
from executions.services import create_orchestration, run_orchestration
from tests.executions.conftest import PLAN, by_agent, plan, selection
from tests.support.fake_llm import FakeLLMServer, json_reply

pytestmark = pytest.mark.django_db(transaction=True)

HEAD = "character-head-001"


class HeldBell:
    """Holds the bell of the run's first event until the department head's LLM call
    has arrived (or a few seconds have passed): a run that waited for that bell would
    never make the call while it is held."""

    def __init__(self, llm: FakeLLMServer) -> None:
        self.llm = llm
        self.heard: list[str] = []
        self.call_came_while_held: bool | None = None

    async def __call__(self, root_id: str, event: ExecutionEvent, message: Any) -> None:
        self.heard.append(event.type)
        if self.call_came_while_held is None:
            self.call_came_while_held = await self._head_called(within=5.0)

    async def _head_called(self, within: float) -> bool:
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            if any(body.get("user") == HEAD for body in self.llm.requests):
                return True
            await asyncio.sleep(0.02)
        return False


@pytest.fixture
def held_bell(llm: FakeLLMServer) -> Iterator[HeldBell]:
    listener = HeldBell(llm)
    add_event_listener(listener)
    yield listener
    remove_event_listener(listener)


async def test_a_run_goes_on_while_its_events_bells_are_held_and_answers_with_all_of_them_logged(
    llm: FakeLLMServer, project: Project, held_bell: HeldBell
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(by_agent(HEAD), json_reply(selection("character-creator-001")))
    root = await sync_to_async(create_orchestration)(project, "Create a villain for episode 2")

    response = await run_orchestration(str(root.execution_id))

    assert response["status"] == "completed", response
    assert held_bell.call_came_while_held is True
    logged = [
        (e.sequence, e.type)
        async for e in ExecutionEvent.objects.filter(execution=root).order_by("sequence")
    ]
    assert [sequence for sequence, _ in logged] == list(range(1, len(logged) + 1))
    assert [kind for _, kind in logged] == held_bell.heard  # every bell rang, in order
    assert logged[-1][1] == "orchestration-complete"
