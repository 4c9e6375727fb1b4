"""A caller can hold the after-commit work of its saves (the graph sync, the continuity
re-check) and run it later; everyone else gets it at commit, as before. A run's store
holds it until the run has answered."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from brain.commit_hooks import Hook, held_after_commit, run_held_async
from brain.graph import get_backend
from brain.graph.base import CHARACTER
from brain.graph.sync import run_blocking
from brain.models import Character, Project
from brain.preparation import brain_documents_ready, preparing
from brain.store import DjangoGraphStore
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def graph_names(project: Project) -> set[str]:
    snapshot = run_blocking(lambda: get_backend().fetch_project(str(project.uid)))
    return {str(n.properties.get("name")) for n in snapshot.nodes.values() if n.label == CHARACTER}


def test_a_save_outside_a_held_block_reaches_the_graph_at_commit() -> None:
    project = factories.project()

    factories.character(project, name="Isla")

    assert "Isla" in graph_names(project)


def test_held_work_waits_for_its_caller_and_covers_the_graph_and_the_continuity_check() -> None:
    project = factories.project()

    with held_after_commit() as held:
        factories.character(project, name="Isla")

    assert "Isla" not in graph_names(project)
    owners = {type(hook).__module__ for hook in held}
    assert owners == {"brain.signals", "screenplay.signals"}

    async_to_sync(run_held_async)(held)

    assert "Isla" in graph_names(project)


class Broken:
    def run(self) -> None:
        raise RuntimeError("graph down")

    async def arun(self) -> None:
        raise RuntimeError("graph down")


def test_a_failing_held_hook_is_logged_and_the_rest_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    project = factories.project()

    with held_after_commit() as held:
        factories.character(project, name="Isla")
    with caplog.at_level(logging.ERROR, logger="brain.commit_hooks"):
        async_to_sync(run_held_async)([Broken(), *held])

    assert "graph down" in caplog.text
    assert "Isla" in graph_names(project)


async def test_held_work_run_from_an_event_loop_syncs_there(
    caplog: pytest.LogCaptureFixture,
) -> None:
    project = await sync_to_async(factories.project)()

    def save() -> list[Hook]:
        with held_after_commit() as held:
            factories.character(project, name="Isla")
        return held

    held = await sync_to_async(save)()
    with caplog.at_level(logging.ERROR, logger="brain.commit_hooks"):
        await run_held_async([Broken(), *held])

    assert "graph down" in caplog.text
    assert "Isla" in await sync_to_async(graph_names)(project)


def test_blocks_nest_and_the_outer_one_holds_again_after_the_inner_ends() -> None:
    project = factories.project()

    with held_after_commit() as outer:
        with held_after_commit() as inner:
            factories.character(project, name="Isla")
        factories.character(project, name="Agnes")

    assert len(inner) == 2 and len(outer) == 2
    assert not graph_names(project) & {"Isla", "Agnes"}


async def test_a_store_for_a_run_holds_its_graph_sync_until_the_run_has_ended() -> None:
    project = await sync_to_async(factories.project)()
    store = DjangoGraphStore(documents_later=True)

    written = await store.store_results(
        project.pk, "run-1", [{"type": "character", "name": "Isla"}]
    )

    assert written == 1
    assert await Character.objects.filter(project=project, name="Isla").aexists()
    assert "Isla" not in await sync_to_async(graph_names)(project)

    store.start_documents()  # what a run does once it has answered
    assert "run-1" in preparing()
    await brain_documents_ready("run-1")

    assert "Isla" in await sync_to_async(graph_names)(project)
    assert "run-1" not in preparing()


async def test_a_store_whose_work_is_not_for_later_syncs_before_it_returns() -> None:
    project = await sync_to_async(factories.project)()
    store = DjangoGraphStore()

    await store.store_results(project.pk, "run-1", [{"type": "character", "name": "Isla"}])

    assert "Isla" in await sync_to_async(graph_names)(project)
