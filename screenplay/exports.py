"""One entry point for every document, for the page and the command alike."""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.text import slugify

from brain.models import Episode, Project, Scene
from screenplay import documents, pdf_out


class ExportError(ValueError):
    pass


@dataclass(frozen=True)
class Document:
    content: bytes
    content_type: str
    filename: str

    @property
    def binary(self) -> bool:
        return self.content_type == "application/pdf"


KINDS = {
    "scenes-csv": ("text/csv", "scenes.csv"),
    "cast-csv": ("text/csv", "cast.csv"),
    "sheets-html": ("text/html", "breakdown-sheets.html"),
    "sheets-pdf": ("application/pdf", "breakdown-sheets.pdf"),
    "bible-md": ("text/markdown", "character-bible.md"),
    "bible-pdf": ("application/pdf", "character-bible.pdf"),
    "fountain": ("text/plain", "script.fountain"),
}


def chosen_scenes(project: Project, episode: int | None, scene: int | None) -> list[Scene]:
    if scene is not None and episode is None:
        raise ExportError("Give the episode (--episode) with the scene.")
    scenes = documents.project_scenes(project, episode)
    if scene is not None:
        scenes = [s for s in scenes if s.scene_number == scene]
    if not scenes:
        raise ExportError("No such scenes: import a script first, or check the numbers.")
    return scenes


def sheets_html(project: Project, scenes: list[Scene]) -> str:
    sheets = documents.breakdown_sheets(project, scenes)
    return render_to_string("screenplay/sheets.html", {"project": project, "sheets": sheets})


def fountain(project: Project, episode: int | None, scene: int | None) -> str:
    if scene is not None:
        return documents.scene_fountain(chosen_scenes(project, episode, scene)[0])
    episodes = Episode.objects.filter(project=project).order_by("episode_number")
    if episode is not None:
        episodes = episodes.filter(episode_number=episode)
    if not episodes:
        raise ExportError("No such episode.")
    return "\n".join(documents.episode_fountain(e) for e in episodes)


def render(project: Project, kind: str, episode: int | None, scene: int | None) -> bytes | str:
    if kind == "scenes-csv":
        return documents.scenes_csv(project, episode)
    if kind == "cast-csv":
        return documents.cast_csv(project)
    if kind == "sheets-html":
        return sheets_html(project, chosen_scenes(project, episode, scene))
    if kind == "sheets-pdf":
        scenes = chosen_scenes(project, episode, scene)
        return pdf_out.sheets_pdf(project, documents.breakdown_sheets(project, scenes))
    if kind == "bible-md":
        return documents.bible_markdown(project)
    if kind == "bible-pdf":
        return pdf_out.bible_pdf(project)
    return fountain(project, episode, scene)


def export(
    project: Project, kind: str, *, episode: int | None = None, scene: int | None = None
) -> Document:
    if kind not in KINDS:
        raise ExportError(f"Unknown document {kind!r}; choose one of {', '.join(KINDS)}.")
    content = render(project, kind, episode, scene)
    content_type, name = KINDS[kind]
    data = content.encode("utf-8") if isinstance(content, str) else content
    return Document(data, content_type, f"{slugify(project.slug)}-{name}")
