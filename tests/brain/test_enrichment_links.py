"""brain.pipeline.enrichment.linked_entities: which project characters an entity's
text names. Pure function over a gathered entity; no database."""

from __future__ import annotations

from typing import Any

from brain.graph.base import Snapshot
from brain.pipeline.enrichment import linked_entities
from brain.pipeline.types import EntityRef, Gathered


def gathered(entity: dict[str, Any], names: list[str]) -> Gathered:
    characters = [{"id": f"c{index}", "name": name} for index, name in enumerate(names)]
    return Gathered(
        ref=EntityRef("scene", "s1"),
        entity=entity,
        project_pk=1,
        project_uid="p1",
        project={"characters": characters},
        graph=Snapshot(),
        previous=None,
    )


def named(entity: dict[str, Any], names: list[str]) -> list[str]:
    return [link["name"] for link in linked_entities(gathered(entity, names))]


def test_full_names_and_unique_first_names_are_links() -> None:
    names = ["Mara Vance", "Tomas Marrow", "Tomas Quill", "Ida Bell"]
    text = {"description": "Mara waits while Tomas Marrow rows out; Tomas hides."}
    # "Mara" is Mara Vance's alone; "Tomas" alone is shared, so only the full name counts.
    assert named(text, names) == ["Mara Vance", "Tomas Marrow"]


def test_a_name_inside_a_longer_word_is_not_a_link() -> None:
    names = ["Ida Bell", "Ann Rye"]
    assert named({"description": "Idaho bells rang; Annie ran to the ryefield."}, names) == []


def test_short_first_names_need_the_full_name() -> None:
    assert named({"description": "Al watched the harbour."}, ["Al Brook"]) == []
    assert named({"description": "Al Brook watched."}, ["Al Brook"]) == ["Al Brook"]


def test_names_with_punctuation_and_accents_match_as_written() -> None:
    names = ["Seán O'Neil", "Dr. Ruiz", "Zoë"]
    text = {"synopsis": "SEÁN O'NEIL meets Dr. Ruiz; zoë is late."}
    assert named(text, names) == ["Seán O'Neil", "Dr. Ruiz", "Zoë"]
    assert named({"synopsis": "O Neil and Dr Ruiz"}, names) == []


def test_the_entity_itself_is_never_its_own_link() -> None:
    links = linked_entities(
        Gathered(
            ref=EntityRef("character", "c0"),
            entity={"name": "Mara Vance", "description": "Mara Vance keeps the lamp."},
            project_pk=1,
            project_uid="p1",
            project={"characters": [{"id": "c0", "name": "Mara Vance"}]},
            graph=Snapshot(),
            previous=None,
        )
    )
    assert links == []
