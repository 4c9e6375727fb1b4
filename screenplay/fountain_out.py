"""Scenes out as Fountain text that the importer reads back to the same scenes and
characters: anything the rules would misread is forced (`!`, `@`, `.`, `>`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from screenplay.parsing.base import (
    ACTION,
    CENTERED,
    CHARACTER,
    DIALOGUE,
    HEADING,
    LYRIC,
    PAGE_BREAK,
    PARENTHETICAL,
    SECTION,
    SYNOPSIS,
    TRANSITION,
)
from screenplay.parsing.fountain import HEADING_RE, is_character_cue

Stored = Sequence[object]  # [kind, text, line, dual] as SceneSource.elements keeps them
FORCE_CHARS = (".", "!", "@", "#", "~", "=", ">", "[", "/")


def heading_line(heading: str, number: str = "") -> str:
    line = heading if HEADING_RE.match(heading) else f".{heading}"
    return f"{line} #{number}#" if number else line


def action_line(text: str) -> str:
    if text.startswith(FORCE_CHARS) or HEADING_RE.match(text) or is_character_cue(text):
        return f"!{text}"
    return text


def element_lines(kind: str, text: str, dual: bool) -> list[str]:
    if kind == CHARACTER:
        cue = text if is_character_cue(text) else f"@{text}"
        return [f"{cue} ^" if dual else cue]
    if kind == DIALOGUE:
        return [text or "  "]
    if kind == PARENTHETICAL:
        return [text]
    if kind == TRANSITION:
        return [text if text.isupper() and text.endswith("TO:") else f">{text}"]
    simple = {CENTERED: f">{text}<", LYRIC: f"~{text}", SECTION: f"# {text}"}
    simple.update({SYNOPSIS: f"= {text}", PAGE_BREAK: "==="})
    return [simple.get(kind, action_line(text))]


def render_scene(heading: str, number: str, elements: Iterable[Stored]) -> str:
    """One scene as Fountain, blocks separated by blank lines."""
    out = [heading_line(heading, number)]
    previous_kind, previous_line = HEADING, -1
    for item in elements:
        kind, text, line = str(item[0]), str(item[1]), int(str(item[2]))
        dual = bool(item[3]) if len(item) > 3 else False
        same_block = kind in (DIALOGUE, PARENTHETICAL) and previous_kind in (
            CHARACTER,
            DIALOGUE,
            PARENTHETICAL,
        )
        same_block |= kind == ACTION == previous_kind and line == previous_line + 1
        if not same_block:
            out.append("")
        out.extend(element_lines(kind, text, dual))
        previous_kind, previous_line = kind, line
    return "\n".join(out) + "\n"


def render_script(title: str, scenes: Iterable[str]) -> str:
    head = f"Title: {title}\n\n" if title else ""
    return head + "\n".join(scenes)
