"""A run answers once its results are stored; the brain documents of the entities it
stored are made afterwards by a tracked task of the same process, which every caller
whose event loop ends with the run (a Celery task, shutdown) waits for."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from brain.graph import get_backend
from brain.models import Character, Project
from brain.preparation import brain_documents_ready, preparing
from brain.store import DOCUMENTS_PARAM
from executions import background
from executions.models import Execution
from executions.services import create_orchestration, run_orchestration
from executions.tasks import run_orchestration_task
from tests.executions.conftest import PLAN, by_agent, plan, selection
from tests.support.fake_llm import FakeLLMServer, http_error, json_reply, request_text

pytestmark = pytest.mark.django_db(transaction=True)

VILLAIN = "Create a morally grey villain for episode 2."
METADATA = {
    "summary": "A morally grey smuggler who trades the lamp's secrets.",
    "themes": ["greed"],
    "tone": "dark",
    "importance": 0.8,
    "category": "antagonist",
    "tags": ["smuggler"],
}


def character(name: str) -> dict[str, Any]:
    return {
        "type": "character",
        "name": name,
        "description": f"{name}, a grey smuggler.",
        "traits": ["ruthless"],
        "relatedTo": [],
    }


async def answered(
    project: Project, prompt: str = "Create a villain for episode 2"
) -> dict[str, Any]:
    """The run's answer, without waiting for its brain documents (conftest's
    `orchestrate` waits for them)."""
    root = await sync_to_async(create_orchestration)(project, prompt)
    return await run_orchestration(str(root.execution_id))


def script_run(llm: FakeLLMServer, *names: str) -> None:
    """One department whose report brings `names` as new characters."""
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    report = {
        "summary": "Villains",
        "report": "r",
        "entities": [character(name) for name in names],
        "conflictsResolved": [],
        "openIssues": [],
    }
    llm.script("Synthesise one coherent department report", json_reply(report))
    # Slow enough to be still in flight when the run answers: the assertions are on
    # order, not on time.
    llm.script("brain metadata", *[json_reply(METADATA, delay=0.5)] * len(names))
    llm.script("relationship discovery", *[json_reply({"relationships": []})] * len(names))


async def document_of(project: Project, name: str) -> Any:
    uid = (await Character.objects.aget(project=project, name=name)).uid
    return await get_backend().get_document(str(uid))


async def documents_state(execution_id: str) -> Any:
    root = await Execution.objects.aget(execution_id=execution_id)
    return root.params.get(DOCUMENTS_PARAM)


async def test_a_run_answers_before_its_brain_documents_which_follow_in_the_background(
    llm: FakeLLMServer, project: Project
) -> None:
    script_run(llm, "Corvin Hale", "Mira Vane")
    llm.script(
        lambda body: "brain metadata" in request_text(body) and "Mira Vane" in request_text(body),
        http_error(400, message="bad request"),  # this entity fails; the other goes on
    )

    response = await answered(project, VILLAIN)
    run_id = response["executionId"]

    assert response["status"] == "completed" and response["entitiesStored"] == 2, response
    assert run_id in preparing()
    assert await documents_state(run_id) == {"status": "preparing", "entities": 2}
    assert await document_of(project, "Corvin Hale") is None

    results = await brain_documents_ready(run_id)

    assert [r.status for r in results] == ["stored", "failed"]
    assert run_id not in preparing()
    corvin = await document_of(project, "Corvin Hale")
    assert corvin is not None and "smuggler" in corvin.metadata["summary"]
    state = await documents_state(run_id)
    [problem] = state.pop("problems")
    assert state == {"status": "ready", "entities": 2, "stored": 1, "rejected": 0, "failed": 1}
    assert problem.startswith("character: ") and "bad request" in problem, problem


async def test_waiting_for_a_run_that_prepares_no_documents_returns_at_once(
    project: Project,
) -> None:
    response = await answered(project)  # the demo model: nothing is stored

    assert await brain_documents_ready(response["executionId"]) == []
    assert await documents_state(response["executionId"]) is None


def test_a_celery_task_ends_only_once_its_runs_brain_documents_are_made(
    llm: FakeLLMServer, project: Project
) -> None:
    script_run(llm, "Corvin Hale")
    root = create_orchestration(project, VILLAIN)

    response = run_orchestration_task(str(root.execution_id))

    assert response["status"] == "completed", response
    assert async_to_sync(document_of)(project, "Corvin Hale") is not None
    root.refresh_from_db()
    assert root.params[DOCUMENTS_PARAM]["status"] == "ready"


def test_waiting_for_the_background_loop_to_be_idle_includes_brain_documents(
    llm: FakeLLMServer, project: Project
) -> None:
    script_run(llm, "Corvin Hale")
    root = create_orchestration(project, VILLAIN)
    background.submit(run_orchestration(str(root.execution_id)))

    background.wait_idle(timeout=60)

    assert async_to_sync(document_of)(project, "Corvin Hale") is not None
    root.refresh_from_db()
    assert root.params[DOCUMENTS_PARAM]["status"] == "ready"
