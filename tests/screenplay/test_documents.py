"""Documents out: scene list / stripboard CSV, cast list, breakdown sheets (HTML and
PDF), the character bible (Markdown and PDF), and Fountain that round-trips."""

from __future__ import annotations

import csv
import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from brain.models import (
    Character,
    CharacterRelationship,
    Element,
    Project,
    Scene,
    SceneAppearance,
    SceneElement,
)
from screenplay.exports import export
from screenplay.importing import import_script
from tests import factories
from tests.screenplay.helpers import script_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def imported(project: Project) -> Project:
    import_script(project, script_bytes("every_element.fountain"), "every.fountain")
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain", episode_number=2)
    return project


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def shape(project: Project) -> list[tuple[str, str, int, list[tuple[str, str]]]]:
    scenes = Scene.objects.filter(episode__project=project).select_related("source", "episode")
    rows = []
    for scene in scenes.order_by("episode__episode_number", "scene_number"):
        cast = SceneAppearance.objects.filter(scene=scene).select_related("character")
        rows.append(
            (
                scene.title,
                scene.source.script_number,
                scene.scene_number,
                sorted((a.character.name, a.role) for a in cast),
            )
        )
    return rows


def test_the_scene_list_is_stripboard_csv(imported: Project) -> None:
    rows = list(csv.DictReader(StringIO(export(imported, "scenes-csv").content.decode())))
    assert len(rows) == 9
    first = rows[4]  # episode 2, scene 1
    assert (first["episode"], first["scene"], first["int_ext"]) == ("2", "1", "EXT")
    assert (first["day_night"], first["location"]) == ("DAWN", "HARBOUR")
    assert int(first["page_eighths"]) >= 1
    cast = {m["name"]: m["cast_id"] for m in csv.DictReader(
        StringIO(export(imported, "cast-csv").content.decode()))}  # fmt: skip
    assert sorted(first["cast_ids"].split()) == sorted([cast["Isla"], cast["Tom"]])


def test_the_cast_list_counts_scenes_most_first(imported: Project) -> None:
    rows = list(csv.DictReader(StringIO(export(imported, "cast-csv").content.decode())))
    assert rows[0]["cast_id"] == "1"
    counts = [int(r["scenes"]) for r in rows]
    assert counts == sorted(counts, reverse=True)
    steel = next(r for r in rows if r["name"] == "Steel")
    assert steel["scenes"] == "5" and steel["first_scene"] == "E1 S1"


def test_breakdown_sheets_show_cast_and_confirmed_elements(imported: Project) -> None:
    scene = Scene.objects.get(episode__project=imported, episode__episode_number=2, scene_number=4)
    lantern = Element.objects.create(project=imported, category="props", name="Brass lantern")
    SceneElement.objects.create(
        scene=scene, element=lantern, evidence="Isla smashes the lantern", line=34,
        fate="destroyed",
    )  # fmt: skip
    html = export(imported, "sheets-html", episode=2, scene=4).content.decode()
    assert "EXT. LIGHTHOUSE - NIGHT" in html and "Brass lantern" in html
    assert "(line 34)" in html and "[destroyed]" in html and "Isla" in html
    text = pdf_text(export(imported, "sheets-pdf", episode=2).content)
    assert "Brass lantern [destroyed]" in text and "Scene 4 (episode 2)" in text


def test_the_bible_has_traits_relationships_from_the_graph_and_appearances(
    imported: Project,
) -> None:
    isla = Character.objects.get(project=imported, name="Isla")
    isla.description, isla.traits = "The keeper's daughter", ["stubborn", "kind"]
    isla.save()
    steel = Character.objects.get(project=imported, name="Steel")
    CharacterRelationship.objects.create(
        from_character=isla, to_character=steel, type="rival", strength=0.7
    )
    markdown = export(imported, "bible-md").content.decode()
    section = markdown.split("## Isla")[1].split("## ")[0]
    assert "The keeper's daughter" in section and "**Traits:** stubborn, kind" in section
    assert "- rival of Steel (0.7)" in section
    assert "- Episode 1: S1 EXT. LIGHTHOUSE - NIGHT (DAY 1)" in section
    assert "**Arc:** From E1 S1" in section
    text = pdf_text(export(imported, "bible-pdf").content)
    assert "rival of Steel" in text and "stubborn, kind" in text


def test_fountain_export_reimports_to_the_same_scenes_and_characters(
    imported: Project,
) -> None:
    again = factories.project()
    for episode in (1, 2):
        fountain = export(imported, "fountain", episode=episode).content
        import_script(again, fountain, "export.fountain", episode_number=episode)
    assert shape(again) == shape(imported)
    scene = export(imported, "fountain", episode=1, scene=3).content.decode()
    assert scene.startswith(".FLASHBACK - THE HARBOUR #3#")


def test_the_export_command_writes_files_and_explains_mistakes(
    imported: Project, tmp_path: Path
) -> None:
    target = tmp_path / "bible.pdf"
    out = StringIO()
    call_command("script_export", "bible-pdf", "--project", imported.slug, "-o", str(target),
                 stdout=out)  # fmt: skip
    assert target.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="binary: give --output FILE"):
        call_command("script_export", "sheets-pdf", "--project", imported.slug)
    with pytest.raises(CommandError, match=r"Give the episode \(--episode\) with the scene"):
        call_command("script_export", "fountain", "--project", imported.slug, "--scene", "1")


def test_a_scene_an_agent_wrote_exports_as_fountain_that_imports_back(project: Project) -> None:
    episode = factories.episode(project, episode_number=4)
    factories.scene(
        episode,
        scene_number=1,
        title="The lamp room at midnight",
        content="The lamp turns.\nISLA\nWe are not alone.",
    )
    fountain = export(project, "fountain", episode=4, scene=1).content
    assert fountain.startswith(b".The lamp room at midnight")
    again = factories.project()
    result = import_script(again, fountain, "agent.fountain")
    [scene] = Scene.objects.filter(episode__project=again)
    assert scene.title == "The lamp room at midnight" and result.scenes == 1
    assert "We are not alone." in scene.content
