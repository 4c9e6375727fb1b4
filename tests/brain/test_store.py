"""Results enter the brain once per run, even when a resumed run stores them again."""

from __future__ import annotations

from typing import Any

import pytest

from brain.models import Character, CharacterRelationship
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
