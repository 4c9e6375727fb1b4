"""The continuity report: deterministic checks over the imported script and the
confirmed breakdown, plus the LLM canon check; findings become warnings that keep
their dismissal for as long as the same finding holds.

The deterministic rules:
- two_places: a character in two scenes at different locations in the same scene
  time (a heading timed SAME, SAME TIME, SIMULTANEOUS or MEANWHILE shares the time
  of the scene before it);
- time_order: within a story day (declared with `(DAY n)` in a heading and kept
  by the scenes after it until the next declaration), a time of day earlier than
  one already passed (MORNING after NIGHT);
- not_in_canon: a character who speaks but has no canon (no description, traits
  or role), usually a new name or a spelling that needs an alias;
- used_after_gone: an element needed in a scene after the breakdown marked it
  destroyed or given away in an earlier one.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from aladdin.text import plural
from brain.models import Character, Project, Scene, SceneAppearance, SceneElement
from screenplay.models import ContinuityWarning, SceneSource

Rule = ContinuityWarning.Rule
DETERMINISTIC = (Rule.TWO_PLACES, Rule.TIME_ORDER, Rule.NOT_IN_CANON, Rule.USED_AFTER_GONE)
SAME_TIME = {"SAME", "SAME TIME", "SIMULTANEOUS", "MEANWHILE"}
TIME_RANK = {
    "DAWN": 1, "SUNRISE": 1, "EARLY MORNING": 2, "MORNING": 2, "DAY": 3, "NOON": 3,
    "AFTERNOON": 4, "DUSK": 5, "SUNSET": 5, "MAGIC HOUR": 5, "EVENING": 6, "NIGHT": 7,
    "LATE NIGHT": 8, "MIDNIGHT": 8,
}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    rule: str
    key: str
    message: str
    scenes: list[str]
    lines: list[int] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.rule}:{self.key}".encode()).hexdigest()


@dataclass
class SceneInfo:
    scene: Scene
    source: SceneSource | None
    cast: dict[int, str]  # character pk -> role

    @property
    def label(self) -> str:
        return scene_label(self.scene)

    @property
    def heading_line(self) -> int | None:
        return self.source.start_line if self.source else None

    def line_of(self, character_id: int) -> int | None:
        if self.source is None:
            return None
        return self.source.cast_lines.get(str(character_id))


def scene_label(scene: Scene) -> str:
    return f"E{scene.episode.episode_number} S{scene.scene_number} ({scene.title})"


def project_scenes(project: Project) -> list[SceneInfo]:
    scenes = (
        Scene.objects.filter(episode__project=project)
        .select_related("episode", "source")
        .order_by("episode__episode_number", "scene_number")
    )
    cast: dict[int, dict[int, str]] = defaultdict(dict)
    rows = SceneAppearance.objects.filter(scene__episode__project=project)
    for scene_id, character_id, role in rows.values_list("scene_id", "character_id", "role"):
        cast[scene_id][character_id] = role
    return [SceneInfo(s, getattr(s, "source", None), cast[s.pk]) for s in scenes]


# --------------------------------------------------------------------------- rules
def time_slots(infos: list[SceneInfo]) -> list[list[SceneInfo]]:
    slots: list[list[SceneInfo]] = []
    for info in infos:
        joins = info.scene.time_of_day in SAME_TIME and slots
        same_episode = joins and slots[-1][-1].scene.episode_id == info.scene.episode_id
        if joins and same_episode:
            slots[-1].append(info)
        else:
            slots.append([info])
    return slots


def two_places(infos: list[SceneInfo], names: dict[int, str]) -> list[Finding]:
    findings = []
    for slot in time_slots(infos):
        where: dict[int, list[SceneInfo]] = defaultdict(list)
        for info in slot:
            for character_id in info.cast:
                where[character_id].append(info)
        for character_id, seen in where.items():
            if len({i.scene.location for i in seen}) < 2:
                continue
            labels = [i.label for i in seen]
            places = " and ".join(sorted({i.scene.location or "?" for i in seen}))
            findings.append(
                Finding(
                    Rule.TWO_PLACES,
                    f"{character_id}:" + ",".join(str(i.scene.uid) for i in seen),
                    f"{names[character_id]} is at {places} at the same time ({'; '.join(labels)}).",
                    labels,
                    [n for i in seen if (n := i.line_of(character_id))],
                )
            )
    return findings


def time_order(infos: list[SceneInfo]) -> list[Finding]:
    findings = []
    day: int | None = None
    latest: SceneInfo | None = None
    episode_id = None
    for info in infos:
        source = info.source
        if info.scene.episode_id != episode_id:
            day, latest, episode_id = None, None, info.scene.episode_id
        if source is not None and source.story_day is not None and source.story_day != day:
            day, latest = source.story_day, None
        rank = TIME_RANK.get(info.scene.time_of_day)
        if day is None or rank is None:
            continue
        if latest is not None and rank < TIME_RANK[latest.scene.time_of_day]:
            findings.append(
                Finding(
                    Rule.TIME_ORDER,
                    f"{latest.scene.uid}:{info.scene.uid}",
                    f"Story day {day}: {info.label} is {info.scene.time_of_day} but comes "
                    f"after {latest.label} at {latest.scene.time_of_day}. Mark a new story "
                    "day with '(DAY n)' in the heading, or fix the time.",
                    [latest.label, info.label],
                    [n for n in (latest.heading_line, info.heading_line) if n],
                )
            )
        elif latest is None or rank >= TIME_RANK[latest.scene.time_of_day]:
            latest = info
    return findings


def not_in_canon(infos: list[SceneInfo], characters: dict[int, Character]) -> list[Finding]:
    spoken: dict[int, list[SceneInfo]] = defaultdict(list)
    for info in infos:
        for character_id, role in info.cast.items():
            if role == "speaks":
                spoken[character_id].append(info)
    findings = []
    for character_id, seen in spoken.items():
        character = characters[character_id]
        if character.description.strip() or character.traits or character.role.strip():
            continue
        labels = [i.label for i in seen]
        findings.append(
            Finding(
                Rule.NOT_IN_CANON,
                str(character.uid),
                f"{character.name} speaks in {plural(len(seen), 'scene')}, first in {labels[0]}, "
                "but is not in the canon: give them a description, traits or role, or add "
                "an alias if this is another name for an existing character.",
                labels,
                [n for i in seen if (n := i.line_of(character_id))],
            )
        )
    return findings


def used_after_gone(project: Project) -> list[Finding]:
    uses = (
        SceneElement.objects.filter(scene__episode__project=project)
        .select_related("scene__episode", "element")
        .order_by("scene__episode__episode_number", "scene__scene_number")
    )
    gone: dict[int, SceneElement] = {}
    findings = []
    for use in uses:
        earlier = gone.get(use.element_id)
        if earlier is not None:
            findings.append(
                Finding(
                    Rule.USED_AFTER_GONE,
                    f"{earlier.pk}:{use.pk}",
                    f"{use.element.name} is needed in {scene_label(use.scene)} but was "
                    f"{earlier.get_fate_display()} in {scene_label(earlier.scene)}.",
                    [scene_label(earlier.scene), scene_label(use.scene)],
                    [n for n in (earlier.line, use.line) if n],
                )
            )
        if use.fate and use.element_id not in gone:
            gone[use.element_id] = use
    return findings


def deterministic_findings(project: Project) -> list[Finding]:
    infos = project_scenes(project)
    cast = {character_id for info in infos for character_id in info.cast}
    characters = Character.objects.in_bulk(cast)  # the rules read only the cast
    names = {pk: c.name for pk, c in characters.items()}
    return [
        *two_places(infos, names),
        *time_order(infos),
        *not_in_canon(infos, characters),
        *used_after_gone(project),
    ]


# ------------------------------------------------------------------------- storing
def record(
    project: Project,
    findings: Iterable[Finding],
    rules: Iterable[str],
    scope: set[str] | None = None,
) -> int:
    """Upsert these findings; warnings of `rules` not found again become inactive (with
    `scope`, only those naming one of those scene labels: the rest were not checked).
    Returns how many warnings are active and not dismissed."""
    now = timezone.now()
    with transaction.atomic():
        seen = set()
        for finding in findings:
            seen.add(finding.fingerprint)
            ContinuityWarning.objects.update_or_create(
                project=project,
                fingerprint=finding.fingerprint,
                defaults={
                    "rule": finding.rule,
                    "message": finding.message,
                    "scenes": finding.scenes,
                    "lines": finding.lines,
                    "active": True,
                    "last_checked": now,
                },
            )
        stale = ContinuityWarning.objects.filter(project=project, rule__in=list(rules))
        stale = stale.exclude(fingerprint__in=seen)
        if scope is not None:
            ids = [w.pk for w in stale if scope & set(w.scenes)]
            stale = stale.filter(pk__in=ids)
        stale.update(active=False, last_checked=now)
    return open_warnings(project).count()


def open_warnings(project: Project) -> QuerySet[ContinuityWarning]:
    return ContinuityWarning.objects.filter(project=project, active=True, dismissed_at=None)


def check_project(project: Project) -> int:
    """Re-run the deterministic checks; returns the number of open warnings."""
    return record(project, deterministic_findings(project), DETERMINISTIC)


def dismiss(warning: ContinuityWarning, reason: str, user_id: int | None) -> None:
    reason = reason.strip()
    if not reason:
        raise ValueError("Say why the warning is dismissed.")
    warning.dismissed_reason = reason[:2000]
    warning.dismissed_by_id = user_id
    warning.dismissed_at = timezone.now()
    warning.save(update_fields=["dismissed_reason", "dismissed_by", "dismissed_at"])
