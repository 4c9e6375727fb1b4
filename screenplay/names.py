"""One character, many spellings: STEEL, MR. STEEL, STEEL (V.O.) and steel's alias.

A cue's key is its upper-case name without extensions (V.O., O.S., CONT'D) or
dual-dialogue marks. A title (MR., DR., ...) is dropped when the bare name is also
a character; a project's aliases (`Project.settings["script_aliases"]`, alias ->
name) are applied first. Existing canon characters are matched by full name, or by
first name when only one canon character has it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

EXTENSION_RE = re.compile(r"\([^)]*\)")
TITLES = (
    "MR", "MRS", "MS", "MISS", "DR", "PROF", "SIR", "LADY", "LORD", "CAPT", "CAPTAIN",
    "DET", "DETECTIVE", "OFFICER", "AGENT", "SGT", "SERGEANT", "FATHER", "SISTER",
)  # fmt: skip
TITLE_RE = re.compile(r"^(?:" + "|".join(TITLES) + r")\.?\s+")
ALIASES_SETTING = "script_aliases"


def cue_key(cue: str) -> str:
    name = EXTENSION_RE.sub(" ", cue).replace("^", " ").lstrip("@")
    name = re.sub(r"\bCONT['\u2019]?D\b", " ", name.upper())
    return " ".join(name.split()).strip(" .,:")


def display_name(key: str) -> str:
    return key.title()


def project_aliases(settings: Mapping[str, object]) -> dict[str, str]:
    raw = settings.get(ALIASES_SETTING) or {}
    if not isinstance(raw, dict):
        return {}
    return {cue_key(str(k)): cue_key(str(v)) for k, v in raw.items() if str(k).strip()}


@dataclass
class NameBook:
    """Resolves every spelling to one key and that key to a display name."""

    aliases: dict[str, str] = field(default_factory=dict)
    canon: dict[str, str] = field(default_factory=dict)  # key -> canon character name
    first_names: dict[str, str] = field(default_factory=dict)  # FIRST -> key of canon
    keys: set[str] = field(default_factory=set)
    _spellings: dict[str, str] | None = field(default=None, repr=False)
    _pattern: re.Pattern[str] | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls, cues: Iterable[str], canon_names: Iterable[str], aliases: Mapping[str, str]
    ) -> NameBook:
        book = cls(aliases=dict(aliases))
        for name in canon_names:
            book.canon[cue_key(name)] = name
        firsts: dict[str, list[str]] = {}
        for key in book.canon:
            if " " in key:
                firsts.setdefault(key.split()[0], []).append(key)
        book.first_names = {f: ks[0] for f, ks in firsts.items() if len(ks) == 1}
        raw = {book._alias(cue_key(c)) for c in cues if cue_key(c)}
        book.keys = set(book.canon) | raw
        book.keys = {book.resolve(k) for k in raw} | set(book.canon)
        return book

    def _alias(self, key: str) -> str:
        return self.aliases.get(key, key)

    def resolve(self, cue: str) -> str:
        key = self._alias(cue_key(cue))
        bare = TITLE_RE.sub("", key)
        if bare != key and (bare in self.keys or bare in self.canon or bare in self.first_names):
            key = self._alias(bare)
        if key not in self.canon and key in self.first_names:
            key = self.first_names[key]
        return key

    def name_of(self, key: str) -> str:
        return self.canon.get(key) or display_name(key)

    def spellings(self) -> dict[str, str]:
        """Every spelling that names a character in action lines -> its key (computed
        once: the keys do not change after `build`)."""
        if self._spellings is None:
            self._spellings = self._all_spellings()
        return self._spellings

    def _all_spellings(self) -> dict[str, str]:
        found = {key: key for key in self.keys}
        found.update({a: self.resolve(a) for a in self.aliases})
        found.update({f: k for f, k in self.first_names.items() if k in self.keys})
        for key in self.keys:
            for title in ("MR", "MRS", "MS", "DR"):
                found.setdefault(f"{title}. {key}", key)
        return found

    def mentions(self, text: str, pattern: re.Pattern[str] | None = None) -> set[str]:
        """Keys of the characters named in `text`, in upper case or capitalised
        (so 'Steel walks in' names STEEL and 'a steel door' does not)."""
        spellings = self.spellings()
        pattern = pattern or self.pattern()
        if pattern is None:
            return set()
        found = set()
        for match in pattern.finditer(text):
            if match.group(0)[0].isupper():
                found.add(spellings[" ".join(match.group(0).upper().split())])
        return found

    def pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None:
            names = sorted(self.spellings(), key=len, reverse=True)
            if not names:
                return None
            body = "|".join(r"\s+".join(map(re.escape, n.split())) for n in names)
            self._pattern = re.compile(rf"(?<![\w'])(?:{body})(?![\w])", re.IGNORECASE)
        return self._pattern
