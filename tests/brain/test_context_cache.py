"""The project context agents get is cached and dropped when the story world changes."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.core.cache import cache

from brain.context import cache_key, load_project_context, version_key
from brain.models import Character, Project
from brain.relevance import load_canon

pytestmark = pytest.mark.django_db(transaction=True)


def context_of(project: Project) -> dict[str, object]:
    return async_to_sync(load_project_context)(project.pk)


def names(project: Project) -> set[str]:
    return {c["name"] for c in context_of(project)["characters"]}  # type: ignore[index]


def test_context_holds_the_project_world(seeded: None) -> None:
    project = Project.objects.get(slug="the-lantern-keepers")
    context = context_of(project)
    assert context["project"]["name"] == project.name  # type: ignore[index]
    # The seeded canon's two episodes and the demo script's third.
    assert len(context["episodes"]) == project.episodes.count() == 3  # type: ignore[arg-type]
    assert context["relationships"] and context["scenes"]


def test_context_is_cached_until_the_project_changes(seeded: None) -> None:
    project = Project.objects.get(slug="the-lantern-keepers")
    before = names(project)
    # A write that bypasses signals (a bulk update) is not seen while cached...
    Character.objects.filter(project=project).update(role="changed")
    assert all(c["role"] != "changed" for c in context_of(project)["characters"])  # type: ignore
    # ...but any saved change drops the cache.
    Character.objects.create(project=project, name="Newcomer")
    assert names(project) == before | {"Newcomer"}
    Character.objects.get(project=project, name="Newcomer").delete()
    assert names(project) == before


def test_one_run_reads_its_project_context_once_as_it_was_when_it_began(seeded: None) -> None:
    from brain.store import DjangoGraphStore

    project = Project.objects.get(slug="the-lantern-keepers")
    run, next_run = DjangoGraphStore(), DjangoGraphStore()
    ask = async_to_sync(run.relevant_context)
    first = ask(project.pk, "The Newcomer arrives in the lighthouse")
    Character.objects.create(project=project, name="Newcomer", description="arrives")
    again = ask(project.pk, "The Newcomer arrives in the lighthouse")
    later = async_to_sync(next_run.relevant_context)(
        project.pk, "The Newcomer arrives in the lighthouse"
    )
    assert "Newcomer" not in {c["name"] for c in first["characters"]}
    assert again["characters"] == first["characters"]  # the run's snapshot
    assert "Newcomer" in {c["name"] for c in later["characters"]}  # a new run sees it
    Character.objects.get(project=project, name="Newcomer").delete()


def test_a_process_reuses_the_context_it_read_until_any_process_changes_the_project(
    seeded: None,
) -> None:
    project = Project.objects.get(slug="the-lantern-keepers")
    first, second = context_of(project), context_of(project)
    assert second["characters"] is first["characters"]  # held, not copied again
    assert second is not first  # each reader still gets its own top-level dict

    # Another process's change: a write this process's signals never saw, and the
    # shared cache's entries dropped by that process.
    Character.objects.filter(project=project).update(role="changed elsewhere")
    cache.delete_many([cache_key(project.pk), version_key(project.pk)])

    roles = {c["role"] for c in context_of(project)["characters"]}  # type: ignore[index]
    assert roles == {"changed elsewhere"}


def test_runs_share_one_canon_per_version_of_the_project_context(seeded: None) -> None:
    project = Project.objects.get(slug="the-lantern-keepers")
    canon = async_to_sync(load_canon)(project.pk)
    assert async_to_sync(load_canon)(project.pk) is canon

    Character.objects.create(project=project, name="Newcomer")
    changed = async_to_sync(load_canon)(project.pk)

    assert changed is not canon
    assert "Newcomer" in {c["name"] for c in changed.full["characters"]}
    assert "Newcomer" not in {c["name"] for c in canon.full["characters"]}
    Character.objects.get(project=project, name="Newcomer").delete()


async def test_a_held_context_is_read_while_the_database_thread_is_busy(seeded: None) -> None:
    """Every canon and brain document asks for the context: with the in-process cache
    the version is read on the event loop, not queued behind the database thread."""
    project = await Project.objects.aget(slug="the-lantern-keepers")
    first = await load_project_context(project.pk)
    release = threading.Event()
    busy = asyncio.ensure_future(sync_to_async(release.wait)())  # the database thread
    await asyncio.sleep(0.05)
    try:
        again = await asyncio.wait_for(load_project_context(project.pk), timeout=2)
    finally:
        release.set()
        await busy
    assert again["characters"] is first["characters"]  # the same held context
