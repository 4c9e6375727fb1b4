"""From parsed elements to scenes: headings, page length, who speaks, who is named.

Pure functions over a ParsedScript, so the same file always gives the same scenes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from screenplay.parsing.base import (
    ACTION,
    CHARACTER,
    DIALOGUE,
    HEADING,
    PARENTHETICAL,
    TRANSITION,
    ParsedScript,
    ScriptElement,
    ScriptError,
)

PREFIX_RE = re.compile(r"^(INT\.?\s*/\s*EXT|I\s*/\s*E|INT|EXT|EST)\.?\s*", re.IGNORECASE)
STORY_DAY_RE = re.compile(r"\(\s*DAY\s+(\d+)\s*\)", re.IGNORECASE)
TIMES = (
    "DAY", "NIGHT", "MORNING", "AFTERNOON", "EVENING", "DAWN", "DUSK", "SUNRISE", "SUNSET",
    "NOON", "MIDNIGHT", "LATE NIGHT", "EARLY MORNING", "MAGIC HOUR", "LATER", "MOMENTS LATER",
    "CONTINUOUS", "SAME", "SAME TIME", "SIMULTANEOUS", "MEANWHILE",
)  # fmt: skip
# A page of screenplay is about 54 printed lines; widths are the standard margins.
LINES_PER_PAGE = 54
WIDTH = {ACTION: 61, DIALOGUE: 35, PARENTHETICAL: 25, HEADING: 61, TRANSITION: 61}


@dataclass(frozen=True)
class Heading:
    int_ext: str  # INT, EXT, INT/EXT, or blank for a forced heading without one
    location: str
    time_of_day: str
    story_day: int | None


@dataclass
class SceneDraft:
    order: int
    heading_text: str
    heading: Heading
    script_number: str
    start_line: int
    end_line: int = 0
    elements: list[ScriptElement] = field(default_factory=list)

    @property
    def cues(self) -> list[str]:
        return [e.text for e in self.elements if e.kind == CHARACTER]

    @property
    def action_lines(self) -> list[ScriptElement]:
        return [e for e in self.elements if e.kind == ACTION]

    @property
    def eighths(self) -> int:
        return page_eighths(self.elements)


def parse_heading(text: str) -> Heading:
    """`INT. LIGHTHOUSE - LAMP ROOM - NIGHT (DAY 2)` -> INT, LIGHTHOUSE - LAMP ROOM, NIGHT, 2."""
    rest = " ".join(text.split())
    day = STORY_DAY_RE.search(rest)
    story_day = int(day.group(1)) if day else None
    rest = STORY_DAY_RE.sub("", rest).strip()
    int_ext = ""
    prefix = PREFIX_RE.match(rest)
    if prefix:
        raw = re.sub(r"[\s.]", "", prefix.group(1).upper())
        int_ext = {"INT": "INT", "EXT": "EXT", "EST": "EXT"}.get(raw, "INT/EXT")
        rest = rest[prefix.end() :]
    parts = [p.strip() for p in re.split(r"\s+[-\u2013\u2014]+\s+|\s+[-\u2013\u2014]+$", rest)]
    parts = [p for p in parts if p]
    time = ""
    if len(parts) > 1 and parts[-1].upper() in TIMES:
        time = parts.pop().upper()
    return Heading(int_ext, " - ".join(parts).upper(), time, story_day)


def page_eighths(elements: list[ScriptElement]) -> int:
    """The scene's length in eighths of a page, from the printed lines it would take."""
    lines = 0
    previous: ScriptElement | None = None
    for element in elements:
        width = WIDTH.get(element.kind, 61)
        printed = max(1, -(-len(element.text) // width))
        new_block = previous is None or not (
            element.kind in (DIALOGUE, PARENTHETICAL)
            or (element.kind == ACTION == previous.kind and element.line == previous.line + 1)
        )
        lines += printed + (1 if new_block else 0)
        previous = element
    return max(1, (lines * 8 + LINES_PER_PAGE // 2) // LINES_PER_PAGE)


def split_scenes(script: ParsedScript) -> list[SceneDraft]:
    """Scenes in order; text before the first heading (a cold open's notes) is not a scene."""
    scenes: list[SceneDraft] = []
    for element in script.elements:
        if element.kind == HEADING:
            if scenes:
                scenes[-1].end_line = element.line - 1
            draft = SceneDraft(
                order=len(scenes) + 1,
                heading_text=element.text,
                heading=parse_heading(element.text),
                script_number=element.scene_number,
                start_line=element.line,
            )
            scenes.append(draft)
        elif scenes:
            scenes[-1].elements.append(element)
    if not scenes:
        first = next((e.line for e in script.elements), 1)
        raise ScriptError(
            "no scene heading in the file: a scene starts with a line such as "
            "'INT. KITCHEN - DAY' or 'EXT. ROAD - NIGHT' (or '.HEADING' to force one).",
            first,
        )
    last = scenes[-1]
    last.end_line = max([last.start_line, *(e.line for e in last.elements)])
    for scene in scenes[:-1]:  # trailing blank lines belong to no scene
        lines = [scene.start_line, *(e.line for e in scene.elements)]
        scene.end_line = max(lines)
    return scenes
