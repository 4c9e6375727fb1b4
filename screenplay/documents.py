"""The documents a production office uses, from the database (and the graph for
relationships): scene list / stripboard CSV, cast list, breakdown sheets, the
character bible, and scenes as Fountain. Pages and commands both call these."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from brain.graph import get_backend
from brain.graph.base import RELATED_TO
from brain.graph.sync import run_blocking
from brain.models import Character, Episode, Project, Scene, SceneAppearance, SceneElement
from screenplay.fountain_out import render_scene, render_script


def eighths_text(eighths: int) -> str:
    pages, rest = divmod(eighths, 8)
    if not rest:
        return str(pages)
    return f"{pages} {rest}/8" if pages else f"{rest}/8"


def project_scenes(project: Project, episode: int | None = None) -> list[Scene]:
    scenes = Scene.objects.filter(episode__project=project)
    if episode is not None:
        scenes = scenes.filter(episode__episode_number=episode)
    return list(
        scenes.select_related("episode", "source").order_by(
            "episode__episode_number", "scene_number"
        )
    )


@dataclass
class CastMember:
    cast_id: int
    character: Character
    scenes: int
    speaking: int
    first: Scene


def cast_list(project: Project) -> list[CastMember]:
    """Characters who appear in scenes, numbered the stripboard way: most scenes first."""
    rows = SceneAppearance.objects.filter(scene__episode__project=project).select_related(
        "character", "scene__episode"
    )
    counts: Counter[int] = Counter()
    speaking: Counter[int] = Counter()
    first: dict[int, Scene] = {}
    characters: dict[int, Character] = {}
    order = ("scene__episode__episode_number", "scene__scene_number")
    for row in rows.order_by(*order):
        counts[row.character_id] += 1
        speaking[row.character_id] += row.role == "speaks"
        first.setdefault(row.character_id, row.scene)
        characters[row.character_id] = row.character
    ranked = sorted(counts, key=lambda pk: (-counts[pk], _position(first[pk]), characters[pk].name))
    return [
        CastMember(n, characters[pk], counts[pk], speaking[pk], first[pk])
        for n, pk in enumerate(ranked, start=1)
    ]


def _position(scene: Scene) -> tuple[int, int]:
    return scene.episode.episode_number, scene.scene_number


def cast_ids(project: Project) -> dict[int, int]:
    return {m.character.pk: m.cast_id for m in cast_list(project)}


def scene_cast(scenes: list[Scene]) -> dict[int, list[int]]:
    cast: dict[int, list[int]] = defaultdict(list)
    rows = SceneAppearance.objects.filter(scene__in=scenes).values_list("scene_id", "character_id")
    for scene_id, character_id in rows:
        cast[scene_id].append(character_id)
    return cast


def scenes_csv(project: Project, episode: int | None = None) -> str:
    scenes = project_scenes(project, episode)
    ids = cast_ids(project)
    cast = scene_cast(scenes)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["episode", "scene", "script_number", "int_ext", "day_night", "location",
         "page_eighths", "pages", "cast_ids"]
    )  # fmt: skip
    for scene in scenes:
        number = scene.source.script_number if hasattr(scene, "source") else ""
        writer.writerow(
            [
                scene.episode.episode_number,
                scene.scene_number,
                number,
                scene.int_ext,
                scene.time_of_day,
                scene.location,
                scene.page_eighths,
                eighths_text(scene.page_eighths),
                " ".join(str(i) for i in sorted(ids[c] for c in cast[scene.pk] if c in ids)),
            ]
        )
    return out.getvalue()


def cast_csv(project: Project) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["cast_id", "name", "scenes", "speaking_scenes", "first_scene"])
    for member in cast_list(project):
        first = f"E{member.first.episode.episode_number} S{member.first.scene_number}"
        writer.writerow(
            [member.cast_id, member.character.name, member.scenes, member.speaking, first]
        )
    return out.getvalue()


# ---------------------------------------------------------------- breakdown sheets
@dataclass
class Sheet:
    scene: Scene
    cast: list[tuple[int, str]]
    elements: dict[str, list[SceneElement]] = field(default_factory=dict)

    @property
    def eighths(self) -> str:
        return eighths_text(self.scene.page_eighths)


def breakdown_sheets(project: Project, scenes: list[Scene]) -> list[Sheet]:
    ids = cast_ids(project)
    names = dict(Character.objects.filter(project=project).values_list("pk", "name"))
    cast = scene_cast(scenes)
    uses = SceneElement.objects.filter(scene__in=scenes).select_related("element")
    by_scene: dict[int, dict[str, list[SceneElement]]] = defaultdict(lambda: defaultdict(list))
    for use in uses.order_by("element__category", "element__name"):
        by_scene[use.scene_id][use.element.get_category_display()].append(use)
    return [
        Sheet(
            scene,
            sorted((ids.get(c, 0), names[c]) for c in cast[scene.pk]),
            dict(by_scene[scene.pk]),
        )
        for scene in scenes
    ]


# -------------------------------------------------------------------------- bible
@dataclass
class BibleEntry:
    character: Character
    relationships: list[tuple[str, str, float]]  # (type, other name, strength)
    appearances: dict[int, list[Scene]]  # episode number -> scenes


def graph_relationships(project: Project, characters: list[Character]) -> dict[str, list]:
    """RELATED_TO edges from the graph, by character uid."""
    uids = [str(c.uid) for c in characters]
    snapshot = run_blocking(lambda: get_backend().fetch(uids))
    names = {str(c.uid): c.name for c in characters}
    found: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    for edge in snapshot.edges.values():
        if edge.type == RELATED_TO and edge.source in names:
            other = names.get(edge.target) or str(
                snapshot.nodes[edge.target].properties.get("name", "?")
            )
            props = edge.properties
            found[edge.source].append(
                (str(props.get("type", "")), other, float(props.get("strength", 0)))
            )
    return found


def bible(project: Project) -> list[BibleEntry]:
    characters = list(Character.objects.filter(project=project).order_by("name"))
    relationships = graph_relationships(project, characters)
    appearances: dict[int, dict[int, list[Scene]]] = defaultdict(lambda: defaultdict(list))
    rows = SceneAppearance.objects.filter(character__project=project).select_related(
        "scene__episode"
    )
    for row in rows.order_by("scene__episode__episode_number", "scene__scene_number"):
        appearances[row.character_id][row.scene.episode.episode_number].append(row.scene)
    return [
        BibleEntry(c, sorted(relationships.get(str(c.uid), [])), dict(appearances[c.pk]))
        for c in characters
    ]


def arc_text(entry: BibleEntry) -> str:
    scenes = [s for episode in sorted(entry.appearances) for s in entry.appearances[episode]]
    if not scenes:
        return "Not in any scene yet."
    first, last = scenes[0], scenes[-1]
    return (
        f"From E{first.episode.episode_number} S{first.scene_number} ({first.title}) to "
        f"E{last.episode.episode_number} S{last.scene_number} ({last.title}): "
        f"{len(scenes)} scenes in {len(entry.appearances)} episode(s)."
    )


def bible_markdown(project: Project) -> str:
    lines = [f"# {project.name}: character bible", ""]
    for entry in bible(project):
        c = entry.character
        lines += [f"## {c.name}", ""]
        if c.role:
            lines += [f"*{c.role}*", ""]
        lines += [c.description or "_No description yet._", ""]
        if c.traits:
            lines += ["**Traits:** " + ", ".join(map(str, c.traits)), ""]
        if entry.relationships:
            lines += ["**Relationships:**", ""]
            lines += [f"- {kind} of {other} ({strength:.1f})" for kind, other, strength in
                      entry.relationships]  # fmt: skip
            lines.append("")
        if c.backstory:
            lines += ["**Backstory:** " + c.backstory, ""]
        lines += ["**Arc:** " + arc_text(entry), ""]
        for episode, scenes in sorted(entry.appearances.items()):
            listed = ", ".join(f"S{s.scene_number} {s.title}" for s in scenes)
            lines += [f"- Episode {episode}: {listed}"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# ------------------------------------------------------------------------ Fountain
def scene_fountain(scene: Scene) -> str:
    source = getattr(scene, "source", None)
    if source is None:  # typed in by hand: its heading and content as action
        body = [[("action"), line, n, False] for n, line in enumerate(scene.content.splitlines())
                if line.strip()]  # fmt: skip
        return render_scene(scene.title, "", body)
    return render_scene(source.heading, source.script_number, source.elements)


def episode_fountain(episode: Episode) -> str:
    scenes = episode.scenes.select_related("source").order_by("scene_number")
    return render_script(episode.title, [scene_fountain(s) for s in scenes])
