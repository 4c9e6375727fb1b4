"""A Fountain parser (https://fountain.io/syntax) that keeps every element's line.

Why our own: of the Fountain parsers on PyPI, `fountain` (0.1.3, 2016) and
`jouvence` (0.4.2, 2020) are unmaintained, and the newer ones (`fountain-py`,
`fountain-parser`, `fountain-tools`) are weeks-old single-author releases. None of
them reports the source line of an element, which our evidence, continuity
warnings and error messages need. The rules below follow the syntax page:

- title page: `Key: value` lines at the very top, up to the first blank line;
- scene headings: a line after a blank line starting with INT, EXT, EST, INT./EXT,
  INT/EXT or I/E followed by `.` or a space, or forced with a leading `.`; an
  optional scene number at the end between `#` signs (`#12A#`);
- characters: an upper-case line after a blank line with text right below it,
  or forced with `@`; extensions such as `(V.O.)` stay in the cue; a trailing `^`
  marks dual dialogue;
- parentheticals and dialogue follow the cue up to the next blank line (a line of
  two spaces keeps the dialogue going);
- transitions: an upper-case line ending in `TO:` between blank lines, or forced
  with `>`; `>centered<` text; `~` lyrics; `#` sections; `=` synopses; `===` page
  breaks; `!` forced action;
- notes `[[...]]` and the boneyard `/* ... */` are dropped, line count kept.
Everything else is action, one element per line so each keeps its line number.
"""

from __future__ import annotations

import re

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
    ParsedScript,
    ScriptElement,
)

HEADING_RE = re.compile(r"^(?:INT\.?/EXT|INT|EXT|EST|I/E)[. ]", re.IGNORECASE)
SCENE_NUMBER_RE = re.compile(r"\s*#([\w.\-]+)#\s*$")
TITLE_KEY_RE = re.compile(r"^([A-Za-z][A-Za-z ]*):(.*)$")
BONEYARD_RE = re.compile(r"/\*.*?\*/", re.DOTALL)
NOTE_RE = re.compile(r"\[\[.*?\]\]", re.DOTALL)
PAGE_BREAK_RE = re.compile(r"^={3,}\s*$")


def _blank_out(match: re.Match[str]) -> str:
    """Replace a boneyard or note with as many newlines as it spanned."""
    return "\n" * match.group(0).count("\n")


def clean_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    text = BONEYARD_RE.sub(_blank_out, text)
    text = NOTE_RE.sub(_blank_out, text)
    return text.split("\n")


def read_title_page(lines: list[str]) -> tuple[dict[str, str], int]:
    """The title page's keys and the index of the first body line."""
    if not lines or not TITLE_KEY_RE.match(lines[0]) or HEADING_RE.match(lines[0]):
        return {}, 0
    title: dict[str, str] = {}
    key = ""
    index = 0
    for index, line in enumerate(lines):
        if not line.strip():
            return title, index + 1
        match = TITLE_KEY_RE.match(line)
        if match and not line.startswith((" ", "\t")):
            key = match.group(1).strip().lower()
            title[key] = match.group(2).strip()
        elif key:
            title[key] = (title[key] + "\n" + line.strip()).strip()
    return title, index + 1


def is_character_cue(line: str) -> bool:
    name = line.rstrip("^").split("(")[0].strip()
    return bool(name) and any(c.isalpha() for c in name) and name == name.upper()


def is_blank(line: str | None) -> bool:
    return line is None or not line.strip()


class _Reader:
    def __init__(self, lines: list[str], start: int) -> None:
        self.lines, self.start = lines, start
        self.elements: list[ScriptElement] = []
        self.in_dialogue = False

    def line(self, index: int) -> str | None:
        return self.lines[index] if self.start <= index < len(self.lines) else None

    def add(self, kind: str, text: str, index: int, **extra: object) -> None:
        self.elements.append(ScriptElement(kind, text, index + 1, **extra))  # type: ignore[arg-type]

    def run(self) -> list[ScriptElement]:
        for index in range(self.start, len(self.lines)):
            self.step(index, self.lines[index])
        return self.elements

    def step(self, index: int, raw: str) -> None:
        if self.in_dialogue and raw == "  ":
            self.add(DIALOGUE, "", index)
            return
        line = raw.strip()
        if not line:
            self.in_dialogue = False
            return
        if self.in_dialogue:
            is_paren = line.startswith("(") and line.endswith(")")
            self.add(PARENTHETICAL if is_paren else DIALOGUE, line, index)
            return
        self.block(index, line)

    def block(self, index: int, line: str) -> None:
        after_blank = index == self.start or is_blank(self.line(index - 1))
        before_blank = is_blank(self.line(index + 1))
        if self.special(index, line):
            return
        if line.startswith(".") and not line.startswith("..") and len(line) > 1:
            self.heading(index, line[1:])
        elif after_blank and HEADING_RE.match(line):
            self.heading(index, line)
        elif line.startswith(">"):
            self.add(TRANSITION, line[1:].strip(), index)
        elif after_blank and before_blank and line.isupper() and line.endswith("TO:"):
            self.add(TRANSITION, line, index)
        elif line.startswith("@") or (after_blank and not before_blank and is_character_cue(line)):
            cue = line.lstrip("@").strip()
            dual = cue.endswith("^")
            self.add(CHARACTER, cue.rstrip("^").strip(), index, dual=dual)
            self.in_dialogue = True
        else:
            self.add(ACTION, line[1:] if line.startswith("!") else line, index)

    def special(self, index: int, line: str) -> bool:
        """Page breaks, sections, synopses, centered text and lyrics."""
        if PAGE_BREAK_RE.match(line):
            self.add(PAGE_BREAK, "", index)
        elif line.startswith("#"):
            self.add(SECTION, line.lstrip("#").strip(), index)
        elif line.startswith("="):
            self.add(SYNOPSIS, line[1:].strip(), index)
        elif line.startswith(">") and line.endswith("<"):
            self.add(CENTERED, line[1:-1].strip(), index)
        elif line.startswith("~"):
            self.add(LYRIC, line[1:].strip(), index)
        else:
            return False
        return True

    def heading(self, index: int, text: str) -> None:
        number = ""
        match = SCENE_NUMBER_RE.search(text)
        if match:
            number, text = match.group(1), text[: match.start()]
        self.add(HEADING, text.strip(), index, scene_number=number)


def parse_fountain(text: str, *, format: str = "fountain") -> ParsedScript:
    lines = clean_lines(text)
    title, start = read_title_page(lines)
    elements = _Reader(lines, start).run()
    return ParsedScript(format=format, text=text, title_page=title, elements=elements)
