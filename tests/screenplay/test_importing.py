"""Importing scripts into the brain: scenes, characters, locations, appearances,
re-imports of revised drafts, aliases, one transaction, and the graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from brain.graph import get_backend
from brain.graph.base import ELEMENT, LOCATION, NEEDED_IN, SCENE, SET_IN
from brain.graph.sync import run_blocking
from brain.models import (
    Character,
    Element,
    Location,
    Project,
    Scene,
    SceneAppearance,
    SceneElement,
)
from screenplay.importing import import_script
from screenplay.models import SceneSource, ScriptImport
from screenplay.parsing import ScriptError
from tests import factories
from tests.screenplay.helpers import SCRIPTS, script_bytes
from tests.screenplay.pdf_maker import fountain_to_pdf

pytestmark = pytest.mark.django_db(transaction=True)


def cast_of(scene: Scene) -> dict[str, str]:
    rows = SceneAppearance.objects.filter(scene=scene).select_related("character")
    return {a.character.name: a.role for a in rows}


def scenes_of(project: Project) -> list[Scene]:
    return list(
        Scene.objects.filter(episode__project=project)
        .select_related("source")
        .order_by("scene_number")
    )


def test_a_fountain_script_becomes_scenes_characters_and_locations(project: Project) -> None:
    result = import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    scenes = scenes_of(project)
    assert [s.scene_number for s in scenes] == [1, 2, 3, 4, 5]
    first = scenes[0]
    assert (first.int_ext, first.location, first.time_of_day) == ("EXT", "HARBOUR", "DAWN")
    assert first.page_eighths >= 1 and first.source.story_day == 1
    assert first.source.start_line == 4 and first.episode.title == "The Keeper's Lamp"
    assert cast_of(first) == {"Isla": "speaks", "Tom": "speaks"}
    # STEEL, MR. STEEL and STEEL (V.O.) are one character; Tom is named in action.
    assert cast_of(scenes[2]) == {"Steel": "speaks", "Tom": "named"}
    assert cast_of(scenes[3]) == {"Isla": "speaks"}
    assert sorted(Character.objects.filter(project=project).values_list("name", flat=True)) == [
        "Isla",
        "Steel",
        "Tom",
    ]
    assert Location.objects.filter(project=project).count() == 5
    assert scenes[1].setting is not None and scenes[1].setting.name == "LIGHTHOUSE - LAMP ROOM"
    assert result.added and not result.changed and not result.removed
    assert ScriptImport.objects.get(project=project).text.startswith("Title: The Keeper's Lamp")


def test_importing_the_same_file_twice_changes_nothing(project: Project) -> None:
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    before = {s.pk: s.content for s in scenes_of(project)}
    again = import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    assert (again.added, again.changed, again.removed) == ([], [], [])
    assert {s.pk: s.content for s in scenes_of(project)} == before


def test_a_revised_draft_updates_in_place_and_reports_what_changed(project: Project) -> None:
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    original = {s.source.script_number: s.pk for s in scenes_of(project)}
    result = import_script(project, script_bytes("pilot_v2.fountain"), "pilot_v2.fountain")
    assert result.added == ["5. EXT. CLIFF PATH - LATER"]
    assert result.removed == ["3. INT. HARBOUR MASTER'S OFFICE - SAME TIME"]
    assert result.changed == [
        "2. INT. LIGHTHOUSE - LAMP ROOM - DAY",
        "4. EXT. CLIFF PATH - MORNING (DAY 2)",
    ]
    scenes = scenes_of(project)
    assert [s.source.script_number for s in scenes] == ["1", "2", "4", "5", "5A"]
    assert [s.scene_number for s in scenes] == [1, 2, 3, 4, 5]
    for scene in scenes[:4]:  # revised scenes keep their rows (and so their links)
        assert scene.pk == original[scene.source.script_number]
    assert Scene.objects.filter(pk=original["3"]).count() == 0


def test_a_project_alias_merges_two_names_into_one_character(project: Project) -> None:
    project.settings = {"script_aliases": {"THE KEEPER": "STEEL"}}
    project.save()
    import_script(project, script_bytes("pilot_v2.fountain"), "pilot_v2.fountain")
    last = scenes_of(project)[-1]
    assert cast_of(last) == {"Steel": "speaks"}
    assert not Character.objects.filter(project=project, name__icontains="keeper").exists()


def test_canon_characters_are_matched_by_full_or_first_name(project: Project) -> None:
    isla = factories.character(project, name="Isla Marr", description="The keeper's daughter")
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    assert cast_of(scenes_of(project)[0])["Isla Marr"] == "speaks"
    assert SceneAppearance.objects.filter(character=isla).count() == 3


def test_final_draft_and_pdf_import_to_the_same_scenes_and_characters(project: Project) -> None:
    other = factories.project()
    third = factories.project()
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    import_script(other, script_bytes("pilot.fdx"), "pilot.fdx")
    pdf = fountain_to_pdf((SCRIPTS / "pilot.fountain").read_text())
    import_script(third, pdf, "pilot.pdf")

    def shape(p: Project) -> list[tuple[str, dict[str, str]]]:
        return [(s.title, cast_of(s)) for s in scenes_of(p)]

    assert shape(other) == shape(project)
    assert shape(third) == shape(project)
    assert ScriptImport.objects.get(project=third).format == "pdf"


def test_bad_input_writes_nothing_and_names_the_line(project: Project) -> None:
    bad = b"INT. KITCHEN - DAY\n\nShe waits.\n\x00\x00"
    with pytest.raises(ScriptError, match=r"^Line 4: this is a binary file"):
        import_script(project, bad, "bad.fountain")
    with (
        override_settings(ALADDIN_SCRIPT_MAX_BYTES=100),
        pytest.raises(ScriptError, match="ALADDIN_SCRIPT_MAX_BYTES"),
    ):
        import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    assert not ScriptImport.objects.exists() and not Scene.objects.exists()
    assert not Character.objects.exists()


def test_the_command_imports_and_explains_bad_input(project: Project, tmp_path: Path) -> None:
    from io import StringIO

    out = StringIO()
    call_command("import_script", "--project", project.slug, str(SCRIPTS / "pilot.fountain"),
                 "--episode", "2", stdout=out)  # fmt: skip
    assert "Imported 5 scenes into episode 2: 5 added" in out.getvalue()
    empty = tmp_path / "empty.fountain"
    empty.write_text("")
    with pytest.raises(CommandError, match=r"empty\.fountain: Line 1: the file is empty"):
        call_command("import_script", "--project", project.slug, str(empty))
    with pytest.raises(CommandError, match="No project 'nope'"):
        call_command("import_script", "--project", "nope", str(empty))


def test_scenes_locations_and_elements_reach_the_graph(
    project: Project, configured_backend: str
) -> None:
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    scene = scenes_of(project)[3]
    lantern = Element.objects.create(project=project, category="props", name="Lantern")
    SceneElement.objects.create(
        scene=scene, element=lantern, evidence="Isla smashes the lantern", fate="destroyed"
    )
    graph = run_blocking(lambda: get_backend().fetch_project(str(project.uid)))
    labels = [n.label for n in graph.nodes.values()]
    assert labels.count(LOCATION) == 5 and labels.count(SCENE) == 5
    assert labels.count(ELEMENT) == 1
    set_in = [e for e in graph.edges.values() if e.type == SET_IN]
    assert len(set_in) == 5
    needed = [e for e in graph.edges.values() if e.type == NEEDED_IN]
    assert [(e.source, e.target, e.properties["fate"]) for e in needed] == [
        (str(lantern.uid), str(scene.uid), "destroyed")
    ]
    assert graph.nodes[str(lantern.uid)].properties["category"] == "props"
    assert SceneSource.objects.filter(scene__episode__project=project).count() == 5


def test_scenes_typed_in_by_hand_are_kept_after_the_scripts(project: Project) -> None:
    episode = factories.episode(project, episode_number=1)
    typed = factories.scene(episode, scene_number=1, title="The storm (typed in)")
    result = import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    typed.refresh_from_db()
    assert typed.scene_number == 6 and result.kept_by_hand == 1
    assert [s.scene_number for s in scenes_of(project)] == [1, 2, 3, 4, 5, 6]
    again = import_script(project, script_bytes("pilot_v2.fountain"), "pilot_v2.fountain")
    typed.refresh_from_db()
    assert typed.scene_number == 6 and again.removed and again.added
