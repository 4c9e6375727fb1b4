"""Importing a script into a project: one transaction, deterministic, idempotent.

Scenes of a revised draft are matched to the episode's scenes from an earlier
import by script scene number (`#12A#`, FDX `Number`) and otherwise by heading
(the n-th scene with the same heading), so a re-import updates in place and
reports the scenes added, removed and changed. Scenes typed in by hand (no
source) are kept and numbered after the script's scenes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from brain.models import Character, Episode, Location, Project, Scene, SceneAppearance
from screenplay.fountain_out import render_scene
from screenplay.models import SceneSource, ScriptImport
from screenplay.names import NameBook, project_aliases
from screenplay.parsing import ParsedScript, ScriptError, read_script
from screenplay.parsing.base import ACTION, CHARACTER
from screenplay.structure import SceneDraft, split_scenes

SPEAKS, NAMED = "speaks", "named"
MAX_EPISODE = 10_000
RENUMBER_OFFSET = 100_000


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


@dataclass
class ImportResult:
    script_import: ScriptImport
    scenes: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    characters_created: list[str] = field(default_factory=list)
    locations_created: list[str] = field(default_factory=list)
    kept_by_hand: int = 0
    touched: set[int] = field(default_factory=set)  # pks of the scenes added or changed

    def summary(self) -> str:
        episode = self.script_import.episode
        number = episode.episode_number if episode else "?"
        text = (
            f"Imported {_count(self.scenes, 'scene')} into episode {number}: "
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed; "
            f"{_count(len(self.characters_created), 'new character')}, "
            f"{_count(len(self.locations_created), 'new location')}."
        )
        if self.kept_by_hand:
            kept = _count(self.kept_by_hand, "scene")
            text += f" {kept} typed in by hand kept after the script's."
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenes": self.scenes,
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "charactersCreated": self.characters_created,
            "locationsCreated": self.locations_created,
            "keptByHand": self.kept_by_hand,
        }


def import_script(
    project: Project,
    data: bytes,
    filename: str,
    *,
    episode_number: int = 1,
    user_id: int | None = None,
) -> ImportResult:
    """Read, check and write a script; raises ScriptError (nothing written) on bad input."""
    if not 1 <= episode_number <= MAX_EPISODE:
        raise ScriptError(f"The episode number must be between 1 and {MAX_EPISODE}.")
    parsed = read_script(filename, data, max_bytes=settings.ALADDIN_SCRIPT_MAX_BYTES)
    drafts = split_scenes(parsed)
    with transaction.atomic():
        return _write(project, parsed, drafts, filename, data, episode_number, user_id)


def label(draft_or_heading: SceneDraft | str, number: int | str) -> str:
    heading = (
        draft_or_heading.heading_text
        if isinstance(draft_or_heading, SceneDraft)
        else draft_or_heading
    )
    return f"{number}. {heading}"


@dataclass
class _Import:
    """One import's rows and lookups, so each scene costs a few queries, not dozens."""

    project: Project
    episode: Episode
    record: ScriptImport
    result: ImportResult
    book: NameBook
    locations: dict[str, Location]
    characters: dict[str, Character]  # lower-case name -> row
    sources: dict[int, SceneSource]  # scene pk -> its source before this import


def _write(
    project: Project,
    parsed: ParsedScript,
    drafts: list[SceneDraft],
    filename: str,
    data: bytes,
    episode_number: int,
    user_id: int | None,
) -> ImportResult:
    title = parsed.title_page.get("title", "").replace("*", "").replace("_", "").strip()
    episode, _ = Episode.objects.get_or_create(
        project=project,
        episode_number=episode_number,
        defaults={"title": (title or f"Episode {episode_number}")[:200]},
    )
    record = ScriptImport.objects.create(
        project=project,
        episode=episode,
        filename=filename[:255],
        format=parsed.format,
        text=parsed.text,
        sha256=hashlib.sha256(data).hexdigest(),
        title_page=parsed.title_page,
        created_by_id=user_id,
    )
    result = ImportResult(record, len(drafts))
    matches = match_scenes(episode, drafts)
    _renumber(episode, drafts, matches, result)
    work = _Import(
        project,
        episode,
        record,
        result,
        names_for(project, drafts),
        {loc.name: loc for loc in Location.objects.filter(project=project)},
        {c.name.lower(): c for c in Character.objects.filter(project=project)},
        {s.scene_id: s for s in SceneSource.objects.filter(scene__in=list(matches.values()))},
    )
    for draft in drafts:
        scene = _save_scene(work, draft, matches.get(draft.order))
        cast = _save_appearances(work, scene, draft)
        _save_source(work, scene, draft, cast)
    record.changes = result.as_dict()
    record.save(update_fields=["changes"])
    return result


def heading_keys(headings: Iterable[str]) -> list[str]:
    """`HEADING#n` for the n-th scene with the same heading, in order."""
    seen: Counter[str] = Counter()
    keys = []
    for heading in headings:
        norm = " ".join(heading.upper().split())
        seen[norm] += 1
        keys.append(f"{norm}#{seen[norm]}")
    return keys


def match_scenes(episode: Episode, drafts: list[SceneDraft]) -> dict[int, Scene]:
    """draft.order -> the existing scene it revises."""
    sources = list(
        SceneSource.objects.filter(scene__episode=episode)
        .select_related("scene")
        .order_by("scene__scene_number")
    )
    by_number = {s.script_number: s.scene for s in sources if s.script_number}
    keys = heading_keys(s.heading for s in sources)
    by_heading = dict(zip(keys, (s.scene for s in sources), strict=True))
    matches: dict[int, Scene] = {}
    used: set[int] = set()
    for draft, key in zip(drafts, heading_keys(d.heading_text for d in drafts), strict=True):
        scene = by_number.get(draft.script_number) if draft.script_number else None
        if scene is None or scene.pk in used:
            scene = by_heading.get(key)
        if scene is not None and scene.pk not in used:
            matches[draft.order] = scene
            used.add(scene.pk)
    return matches


def _renumber(
    episode: Episode, drafts: list[SceneDraft], matches: dict[int, Scene], result: ImportResult
) -> None:
    """Drop the earlier draft's scenes that the new one lacks; give the script's scenes
    the numbers 1..n and move hand-typed scenes after them. Numbers are shuffled
    through a free range only when one actually moves (the unique constraint)."""
    kept = {scene.pk for scene in matches.values()}
    gone = Scene.objects.filter(episode=episode, source__isnull=False).exclude(pk__in=kept)
    for scene in gone.select_related("source").order_by("scene_number"):
        result.removed.append(label(scene.source.heading, scene.scene_number))
        scene.delete()
    by_hand = list(
        Scene.objects.filter(episode=episode, source__isnull=True).order_by("scene_number")
    )
    result.kept_by_hand = len(by_hand)
    targets = dict(matches)
    targets |= {len(drafts) + i: scene for i, scene in enumerate(by_hand, start=1)}
    taken = {scene.scene_number for scene in targets.values()}
    moving = any(scene.scene_number != n for n, scene in targets.items())
    new_clash = any(d.order not in matches and d.order in taken for d in drafts)
    if not (moving or new_clash):
        return
    Scene.objects.filter(episode=episode).update(scene_number=F("scene_number") + RENUMBER_OFFSET)
    for number, scene in sorted(targets.items()):
        if scene in by_hand:
            scene.scene_number = number
            scene.save(update_fields=["scene_number", "updated_at"])
        else:
            # The script's scenes are saved (and so synced) by _save_scene, which sees
            # the old number in memory if this one moved.
            Scene.objects.filter(pk=scene.pk).update(scene_number=number)


def names_for(project: Project, drafts: list[SceneDraft]) -> NameBook:
    cues = [cue for draft in drafts for cue in draft.cues]
    canon = Character.objects.filter(project=project).values_list("name", flat=True)
    return NameBook.build(cues, list(canon), project_aliases(project.settings or {}))


def stored_elements(draft: SceneDraft) -> list[list[Any]]:
    return [[e.kind, e.text, e.line, e.dual] for e in draft.elements]


def _location(work: _Import, name: str) -> Location | None:
    if not name:
        return None
    name = name[:200]
    if name not in work.locations:
        work.locations[name] = Location.objects.create(project=work.project, name=name)
        work.result.locations_created.append(name)
    return work.locations[name]


SCENE_FIELDS = ("scene_number", "title", "location", "setting_id", "int_ext", "time_of_day",
                "page_eighths", "content")  # fmt: skip


def _save_scene(work: _Import, draft: SceneDraft, scene: Scene | None) -> Scene:
    """Create or update the scene; an unchanged scene is not written (and so not
    re-synced to the graph)."""
    elements = stored_elements(draft)
    location = _location(work, draft.heading.location)
    touched = scene is None or _differs(work.sources.get(scene.pk), draft, elements)
    if scene is None:
        scene = Scene(episode=work.episode)
        work.result.added.append(label(draft, draft.order))
    elif touched:
        work.result.changed.append(label(draft, draft.order))
    values = {
        "scene_number": draft.order,
        "title": draft.heading_text[:200],
        "location": draft.heading.location[:200],
        "setting_id": location.pk if location else None,
        "int_ext": draft.heading.int_ext,
        "time_of_day": draft.heading.time_of_day[:40],
        "page_eighths": draft.eighths,
        "content": render_scene(draft.heading_text, draft.script_number, elements),
    }
    if scene.pk is None or any(getattr(scene, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(scene, key, value)
        scene.save()
    if touched:
        work.result.touched.add(scene.pk)
    return scene


def _save_source(work: _Import, scene: Scene, draft: SceneDraft, cast: dict[str, int]) -> None:
    values = {
        "script_import": work.record,
        "script_number": draft.script_number,
        "heading": draft.heading_text[:300],
        "story_day": draft.heading.story_day,
        "start_line": draft.start_line,
        "end_line": draft.end_line,
        "elements": stored_elements(draft),
        "cast_lines": cast,
    }
    source = work.sources.get(scene.pk)
    if source is None:
        SceneSource.objects.create(scene=scene, **values)
        return
    for key, value in values.items():
        setattr(source, key, value)
    source.save()


def _differs(source: SceneSource | None, draft: SceneDraft, elements: list[list[Any]]) -> bool:
    if source is None:
        return True
    before = [(e[0], e[1]) for e in source.elements]
    after = [(e[0], e[1]) for e in elements]
    return source.heading != draft.heading_text or before != after


def first_lines(draft: SceneDraft, book: NameBook) -> dict[str, int]:
    """Each character key -> the first line of the scene that names them."""
    found: dict[str, int] = {}
    pattern = book.pattern()
    for element in draft.elements:
        if element.kind == CHARACTER:
            found.setdefault(book.resolve(element.text), element.line)
        elif element.kind == ACTION:
            for key in book.mentions(element.text, pattern):
                found.setdefault(key, element.line)
    return found


def _save_appearances(work: _Import, scene: Scene, draft: SceneDraft) -> dict[str, int]:
    """The scene's speaking and named characters; returns {character pk: first line}."""
    book = work.book
    speakers = {book.resolve(cue) for cue in draft.cues}
    lines = first_lines(draft, book)
    named = set(lines) - speakers
    wanted = {key: SPEAKS for key in speakers} | {key: NAMED for key in named}
    by_key = {key: _character(work, book.name_of(key)) for key in sorted(wanted)}
    existing = {
        a.character_id: a
        for a in SceneAppearance.objects.filter(scene=scene, role__in=(SPEAKS, NAMED))
    }
    keep = {by_key[k].pk for k in wanted}
    for character_id, old in existing.items():
        if character_id not in keep:
            old.delete()
    others = set(
        SceneAppearance.objects.filter(scene=scene)
        .exclude(role__in=(SPEAKS, NAMED))
        .values_list("character_id", flat=True)
    )
    for key, role in sorted(wanted.items()):
        character = by_key[key]
        current = existing.get(character.pk)
        if current is None and character.pk not in others:
            SceneAppearance.objects.create(character=character, scene=scene, role=role)
        elif current is not None and current.role != role:
            current.role = role
            current.save(update_fields=["role"])
    return {str(by_key[key].pk): line for key, line in lines.items() if key in by_key}


def _character(work: _Import, name: str) -> Character:
    character = work.characters.get(name.lower())
    if character is None:
        character = Character.objects.create(project=work.project, name=name[:200])
        work.characters[name.lower()] = character
        work.result.characters_created.append(character.name)
    return character
