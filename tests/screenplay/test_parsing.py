"""Reading Fountain, Final Draft and PDF into elements and scenes, and refusing bad
input with a message that names the line."""

from __future__ import annotations

import pytest

from screenplay.names import NameBook
from screenplay.parsing import ScriptError, read_script
from screenplay.parsing.base import ScriptElement
from screenplay.structure import parse_heading, split_scenes
from tests.screenplay.helpers import script_bytes, script_text
from tests.screenplay.pdf_maker import fountain_to_pdf

LIMIT = 5 * 1024 * 1024


def kinds(elements: list[ScriptElement]) -> list[tuple[str, str, int]]:
    return [(e.kind, e.text, e.line) for e in elements]


def test_every_fountain_element_is_read_with_its_line() -> None:
    script = read_script("every.fountain", script_bytes("every_element.fountain"), max_bytes=LIMIT)
    assert script.title_page["title"] == "_**THE LANTERN TEST**_"
    assert script.title_page["draft date"] == "1 March 2026"
    elements = kinds(script.elements)
    assert ("section", "ACT ONE", 11) in elements
    assert ("synopsis", "The keeper finds the letter.", 13) in elements
    assert ("heading", "EXT. LIGHTHOUSE - NIGHT (DAY 1)", 15) in elements
    assert ("parenthetical", "(out of breath)", 24) in elements
    assert ("character", "MR. STEEL (CONT'D)", 27) in elements
    assert ("transition", "CUT TO:", 33) in elements
    assert ("dialogue", "", 41) in elements and ("dialogue", "Please.", 42) in elements
    assert ("character", "McCLANE", 44) in elements  # forced with @
    assert ("transition", "FADE OUT.", 47) in elements  # forced with >
    assert ("heading", "FLASHBACK - THE HARBOUR", 49) in elements  # forced with .
    assert ("lyric", "Row, row, row the boat", 51) in elements
    assert ("centered", "THE END", 53) in elements
    assert ("page_break", "", 55) in elements
    assert ("action", "INT. NOT A HEADING", 57) in elements  # forced action with !


def test_notes_and_the_boneyard_are_dropped_and_line_numbers_kept() -> None:
    script = read_script("every.fountain", script_bytes("every_element.fountain"), max_bytes=LIMIT)
    texts = " ".join(e.text for e in script.elements)
    assert "DELETED ROOM" not in texts and "check the lantern" not in texts
    action = next(e for e in script.elements if e.text.startswith("Rain lashes"))
    assert action.line == 17


def test_scene_numbers_dual_dialogue_and_headings_are_parsed() -> None:
    script = read_script("every.fountain", script_bytes("every_element.fountain"), max_bytes=LIMIT)
    scenes = split_scenes(script)
    assert [s.script_number for s in scenes] == ["1", "2", "3", "4"]
    assert [s.heading.int_ext for s in scenes] == ["EXT", "INT", "", "INT/EXT"]
    assert scenes[0].heading.story_day == 1
    assert scenes[1].heading.location == "LIGHTHOUSE - LAMP ROOM"
    assert scenes[3].heading.time_of_day == "CONTINUOUS"
    dual = [e for e in script.elements if e.dual]
    assert [e.text for e in dual] == ["STEEL (V.O.)"]
    assert (scenes[0].start_line, scenes[0].end_line) == (15, 33)


def test_headings_split_into_int_ext_location_time_and_story_day() -> None:
    heading = parse_heading("int./ext. Harbour Master's Office - late night (day 3)")
    assert heading.int_ext == "INT/EXT"
    assert heading.location == "HARBOUR MASTER'S OFFICE"
    assert heading.time_of_day == "LATE NIGHT"
    assert heading.story_day == 3
    assert parse_heading("EST. TOWN").int_ext == "EXT"


def test_page_length_is_counted_in_eighths() -> None:
    script = read_script("pilot.fountain", script_bytes("pilot.fountain"), max_bytes=LIMIT)
    scenes = split_scenes(script)
    assert all(1 <= s.eighths <= 8 for s in scenes)
    long_scene = script_text("pilot.fountain").replace(
        "You're early.", "\n".join(["You're early, and the sea is calm today."] * 40)
    )
    longer = split_scenes(read_script("p.fountain", long_scene.encode(), max_bytes=LIMIT))
    assert longer[0].eighths > scenes[0].eighths + 8


def test_final_draft_gives_the_same_scenes_and_speakers_as_fountain() -> None:
    fountain = split_scenes(
        read_script("p.fountain", script_bytes("pilot.fountain"), max_bytes=LIMIT)
    )
    fdx_script = read_script("pilot.fdx", script_bytes("pilot.fdx"), max_bytes=LIMIT)
    fdx = split_scenes(fdx_script)
    assert fdx_script.format == "fdx" and fdx_script.title_page["title"] == "The Keeper's Lamp"
    assert [s.heading_text for s in fdx] == [s.heading_text for s in fountain]
    assert [s.script_number for s in fdx] == ["1", "2", "3", "4", "5"]
    assert [s.cues for s in fdx] == [s.cues for s in fountain]
    assert [e.text for e in fdx_script.elements if e.dual] == ["STEEL", "ISLA (O.S.)"]
    heading = next(e for e in fdx_script.elements if e.kind == "heading")
    assert heading.line == 4  # the line of its <Paragraph> in the file


def test_an_xml_bomb_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><FinalDraft><Content>'
        b'<Paragraph Type="Action"><Text>&lol2;</Text></Paragraph></Content></FinalDraft>'
    )
    with pytest.raises(ScriptError, match="unsafe"):
        read_script("bomb.fdx", bomb, max_bytes=LIMIT)


def test_a_pdf_made_from_the_script_reads_back_to_the_same_scenes() -> None:
    pdf = fountain_to_pdf(script_text("pilot.fountain"))
    script = read_script("pilot.pdf", pdf, max_bytes=LIMIT)
    fountain = split_scenes(
        read_script("p.fountain", script_bytes("pilot.fountain"), max_bytes=LIMIT)
    )
    scenes = split_scenes(script)
    assert script.format == "pdf"
    assert [s.heading_text for s in scenes] == [s.heading_text for s in fountain]
    assert [s.script_number for s in scenes] == ["1", "2", "3", "4", "5"]
    assert [s.cues for s in scenes] == [s.cues for s in fountain]
    first = script.text.splitlines()[scenes[0].start_line - 1]
    assert first.strip().startswith("EXT. HARBOUR - DAWN")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.fountain", b"  \n\n", "Line 1: the file is empty"),
        ("binary.fountain", b"INT. A - DAY\n\nx\x00\x01\x02", "Line 3: this is a binary file"),
        ("latin.fountain", b"INT. A - DAY\n\nCaf\xe9", "Line 3: this is not UTF-8 text"),
        (
            "none.fountain",
            b"\nJust some words.\n\nMore words.\n",
            "Line 2: no scene heading in the file",
        ),
    ],
)
def test_bad_input_gets_a_message_naming_the_line(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ScriptError) as error:
        read_script(name, data, max_bytes=LIMIT) if "none" not in name else split_scenes(
            read_script(name, data, max_bytes=LIMIT)
        )
    assert str(error.value).startswith(message)


def test_an_oversize_file_is_refused_before_parsing() -> None:
    with pytest.raises(ScriptError, match=r"the limit is 0\.0 MB \(ALADDIN_SCRIPT_MAX_BYTES\)"):
        read_script("big.fountain", b"INT. A - DAY\n" * 10, max_bytes=10)


def test_steel_mr_steel_and_steel_vo_are_one_character_and_aliases_apply() -> None:
    book = NameBook.build(
        ["STEEL", "MR. STEEL", "STEEL (V.O.)", "THE KEEPER", "ISLA (CONT'D)"],
        ["Isla Marr"],
        {"THE KEEPER": "STEEL"},
    )
    resolved = {book.resolve(c) for c in ["STEEL", "MR. STEEL", "STEEL (V.O.)", "THE KEEPER"]}
    assert resolved == {"STEEL"}
    assert book.resolve("ISLA (CONT'D)") == "ISLA MARR"
    assert book.name_of("ISLA MARR") == "Isla Marr" and book.name_of("STEEL") == "Steel"
    assert book.mentions("Steel waits by a steel door. The Keeper nods.") == {"STEEL"}
    assert book.resolve("MR. SMITH") == "MR. SMITH"  # no bare SMITH: the title stays
