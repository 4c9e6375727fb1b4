"""Results enter the brain once per run, even when a resumed run stores them again."""

from __future__ import annotations

from typing import Any

import pytest

from brain.models import Character, CharacterRelationship, Episode
from brain.pipeline import EntityRef
from brain.store import STORED_PARAM, store_entities
from executions.models import Execution
from executions.recorder import locked_run_row
from tests import factories

pytestmark = pytest.mark.django_db

ENTITIES: list[dict[str, Any]] = [
    {"type": "character", "name": "Mira", "relatedTo": [{"name": "Tom", "type": "rival"}]},
    {"type": "character", "name": "Tom"},
]


def test_a_run_resumed_after_storing_does_not_store_or_prepare_its_results_twice() -> None:
    project = factories.project()
    root = Execution.objects.create(kind="orchestration", project=project, status="running")
    first: list[EntityRef] = []
    again: list[EntityRef] = []

    written = store_entities(
        project.pk, str(root.execution_id), ENTITIES, first, run_row=locked_run_row
    )
    rewritten = store_entities(
        project.pk, str(root.execution_id), ENTITIES, again, run_row=locked_run_row
    )

    assert written == rewritten == 3
    assert len(first) == 2 and again == []  # the brain pipeline is not paid for twice
    root.refresh_from_db()
    assert root.params[STORED_PARAM] == 3
    assert Character.objects.filter(project=project).count() == 2
    assert CharacterRelationship.objects.filter(from_character__project=project).count() == 1


def test_results_without_a_run_row_are_stored_each_time() -> None:
    project = factories.project()
    touched: list[EntityRef] = []

    store_entities(project.pk, "not-a-run", ENTITIES, touched, run_row=locked_run_row)
    store_entities(project.pk, "not-a-run", ENTITIES, touched, run_row=locked_run_row)

    assert len(touched) == 4


def test_results_find_the_projects_own_characters_by_name_whatever_the_case() -> None:
    project, elsewhere = factories.project(), factories.project()
    keeper = Character.objects.create(project=project, name="Mara Vance", role="keeper")
    Character.objects.create(project=project, name="Ida Bell", description="the ferrywoman")
    twin = Character.objects.create(project=elsewhere, name="Zed Quill")
    for number in range(30):  # characters the results do not name
        Character.objects.create(project=project, name=f"Villager {number}")
    results: list[dict[str, Any]] = [
        {"type": "character", "name": "MARA VANCE", "description": "guards the lamp"},
        {"type": "character", "name": "ida bell", "description": "a new description"},
        {
            "type": "character",
            "name": "Zed Quill",
            "relatedTo": [
                {"name": "mara vance", "type": "rival"},
                {"name": "Ida Bell", "type": "ally"},
                {"name": "Nobody Known", "type": "friend"},
            ],
        },
    ]

    written = store_entities(project.pk, "not-a-run", results)

    assert written == 5  # three characters, two relationships
    keeper.refresh_from_db()
    assert keeper.description == "guards the lamp"  # filled where it was empty
    ida = Character.objects.get(project=project, name="Ida Bell")
    assert ida.description == "the ferrywoman"  # canon wins over a result
    zed = Character.objects.get(project=project, name="Zed Quill")
    assert zed.pk != twin.pk  # another project's character is never taken
    links = CharacterRelationship.objects.filter(from_character=zed)
    assert sorted(links.values_list("to_character__name", "type")) == [
        ("Ida Bell", "ally"),
        ("Mara Vance", "rival"),
    ]
    assert Character.objects.filter(project=project).count() == 33


def test_new_episodes_are_numbered_after_the_last_and_known_titles_are_kept() -> None:
    project, elsewhere = factories.project(), factories.project()
    Episode.objects.create(project=project, episode_number=4, title="The Dark Lamp")
    Episode.objects.create(project=project, episode_number=2, title="Éclat")
    Episode.objects.create(project=elsewhere, episode_number=9, title="Tide Line")
    results = [
        {"type": "episode", "name": "the dark lamp"},  # known, whatever the case
        {"type": "episode", "name": "Tide Line", "description": "new here"},
        {"type": "episode", "name": "  "},  # no title: not stored
        {"type": "episode", "name": "Undertow"},
        {"type": "episode", "name": "UNDERTOW"},  # the same title twice in one result
    ]

    store_entities(project.pk, "not-a-run", results, [], run_row=locked_run_row)
    store_entities(
        project.pk, "not-a-run", [{"type": "episode", "name": "ÉCLAT"}], [], run_row=locked_run_row
    )

    numbered = Episode.objects.filter(project=project).order_by("episode_number")
    assert [(e.episode_number, e.title) for e in numbered] == [
        (2, "Éclat"),
        (4, "The Dark Lamp"),
        (5, "Tide Line"),
        (6, "Undertow"),
    ]
