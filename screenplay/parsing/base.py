"""What every script format is read into: a flat list of elements, each with the line
of the source it came from, plus the title page. Formats differ; this does not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

HEADING: Final = "heading"
ACTION: Final = "action"
CHARACTER: Final = "character"
DIALOGUE: Final = "dialogue"
PARENTHETICAL: Final = "parenthetical"
TRANSITION: Final = "transition"
CENTERED: Final = "centered"
LYRIC: Final = "lyric"
SECTION: Final = "section"
SYNOPSIS: Final = "synopsis"
PAGE_BREAK: Final = "page_break"
KINDS: Final = (
    HEADING,
    ACTION,
    CHARACTER,
    DIALOGUE,
    PARENTHETICAL,
    TRANSITION,
    CENTERED,
    LYRIC,
    SECTION,
    SYNOPSIS,
    PAGE_BREAK,
)


class ScriptError(ValueError):
    """The file cannot be imported; the message names the line (or says there is none)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"Line {line}: {message}" if line else message)


@dataclass(frozen=True)
class ScriptElement:
    kind: str
    text: str
    line: int  # 1-based line of the source text (for PDF, of the extracted text)
    scene_number: str = ""  # a heading's own number, `#12A#` in Fountain
    dual: bool = False  # a character cue marked `^` (dual dialogue)


@dataclass
class ParsedScript:
    format: str
    text: str  # the script's own text the line numbers refer to
    title_page: dict[str, str] = field(default_factory=dict)
    elements: list[ScriptElement] = field(default_factory=list)
