"""brain.pipeline.enrichment.linked_entities: which project characters an entity's
text names. Pure function over a gathered entity; no database."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from typing import Any

from brain.graph.base import Snapshot
from brain.pipeline.enrichment import linked_entities
from brain.pipeline.types import EntityRef, Gathered

A_SCENE = EntityRef("scene", "s1")


def gathered(entity: dict[str, Any], names: list[str], ref: EntityRef = A_SCENE) -> Gathered:
    """`entity` in a project whose characters are `names`, with ids c0, c1, ..."""
    characters = [{"id": f"c{index}", "name": name} for index, name in enumerate(names)]
    return Gathered(
        ref=ref,
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
    entity = {"name": "Mara Vance", "description": "Mara Vance keeps the lamp."}
    links = linked_entities(gathered(entity, ["Mara Vance"], EntityRef("character", "c0")))
    assert links == []


def reference_links(entity: dict[str, Any], own_id: str, names: list[str]) -> list[str]:
    """The rule spelled out character by character, as it was before the name index."""
    text = json.dumps(entity, ensure_ascii=False).casefold()
    words = set(re.findall(r"\w+", text))
    characters = [
        {"id": f"c{index}", "name": name}
        for index, name in enumerate(names)
        if f"c{index}" != own_id
    ]
    first_names = Counter(str(c["name"]).split()[0].casefold() for c in characters if c["name"])
    found = []
    for character in characters:
        name = str(character["name"]).casefold()
        aliases = {name} | {f for f in name.split()[:1] if first_names[f] == 1 and len(f) > 2}
        for alias in aliases:
            if words.issuperset(re.findall(r"\w+", alias)) and re.search(
                rf"\b{re.escape(alias)}\b", text
            ):
                found.append(character["name"])
                break
    return found


def test_the_name_index_links_what_the_rule_says_on_random_casts() -> None:
    first = ["Mara", "Tomas", "Ida", "Al", "Seán", "Zoë", "Dr.", "Ann", "Ole", "Bo"]
    last = ["Vance", "Marrow", "Quill", "Bell", "O'Neil", "Ruiz", "Rye", ""]
    filler = ["the", "harbour", "lamp", "waits", "rows", "idaho", "annie", "bells", ";"]
    chooser = random.Random(7)
    for _ in range(300):
        names = list({f"{chooser.choice(first)} {chooser.choice(last)}".strip() for _ in range(8)})
        words = [chooser.choice([*first, *last, *filler]) for _ in range(14)]
        entity = {"name": chooser.choice(names), "description": " ".join(words)}
        own_id = f"c{chooser.randrange(len(names) + 2)}"  # sometimes not in the cast
        links = linked_entities(gathered(entity, names, EntityRef("character", own_id)))
        assert [link["name"] for link in links] == reference_links(entity, own_id, names)


def test_a_new_cast_is_read_again_not_served_from_the_last_index() -> None:
    text = {"description": "Mara waits."}
    assert named(text, ["Mara Vance"]) == ["Mara Vance"]
    assert named(text, ["Mara Vance", "Mara Quill"]) == []  # "Mara" is shared now
