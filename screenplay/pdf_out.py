"""PDF documents with fpdf2 (pure Python). Its built-in fonts cover Latin-1 only,
so typographic punctuation is mapped to plain equivalents and anything else outside
Latin-1 becomes '?': the documents stay readable without shipping a font file."""

from __future__ import annotations

from fpdf import FPDF

from brain.models import Project
from screenplay.documents import BibleEntry, Sheet, arc_text, bible

PLAIN = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
     "\u2026": "...", "\u00a0": " "}
)  # fmt: skip


def latin1(text: str) -> str:
    return text.translate(PLAIN).encode("latin-1", errors="replace").decode("latin-1")


class Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(unit="mm", format="A4")
        self.doc_title = latin1(title)
        self.set_auto_page_break(True, margin=15)
        self.set_title(self.doc_title)

    def header(self) -> None:
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 6, self.doc_title, new_x="LMARGIN", new_y="NEXT", align="R")

    def heading(self, text: str, size: int = 14) -> None:
        self.set_font("Helvetica", "B", size)
        self.multi_cell(0, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def para(self, text: str, style: str = "") -> None:
        self.set_font("Helvetica", style, 10)
        self.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)


def sheets_pdf(project: Project, sheets: list[Sheet]) -> bytes:
    pdf = Document(f"{project.name}: breakdown sheets")
    for sheet in sheets:
        scene = sheet.scene
        pdf.add_page()
        pdf.heading(f"Scene {scene.scene_number} (episode {scene.episode.episode_number})")
        pdf.para(scene.title, "B")
        pdf.para(
            f"{scene.int_ext or '-'} | {scene.time_of_day or '-'} | "
            f"{scene.location or '-'} | {sheet.eighths} pages"
        )
        cast = ", ".join(f"{n}. {name}" for n, name in sheet.cast) or "-"
        pdf.heading("Cast", 11)
        pdf.para(cast)
        for category, uses in sorted(sheet.elements.items()):
            pdf.heading(category.capitalize(), 11)
            for use in uses:
                line = f" (line {use.line})" if use.line else ""
                fate = f" [{use.get_fate_display()}]" if use.fate else ""
                pdf.para(f'{use.element.name}{fate}: "{use.evidence}"{line}')
        if not sheet.elements:
            pdf.para("No confirmed elements yet.", "I")
    return bytes(pdf.output())


def entry_pdf(pdf: Document, entry: BibleEntry) -> None:
    c = entry.character
    pdf.heading(c.name)
    if c.role:
        pdf.para(c.role, "I")
    pdf.para(c.description or "No description yet.")
    if c.traits:
        pdf.para("Traits: " + ", ".join(map(str, c.traits)))
    for kind, other, strength in entry.relationships:
        pdf.para(f"- {kind} of {other} ({strength:.1f})")
    if c.backstory:
        pdf.para("Backstory: " + c.backstory)
    pdf.para("Arc: " + arc_text(entry))
    for episode, scenes in sorted(entry.appearances.items()):
        listed = ", ".join(f"S{s.scene_number} {s.title}" for s in scenes)
        pdf.para(f"Episode {episode}: {listed}")
    pdf.ln(3)


def bible_pdf(project: Project) -> bytes:
    pdf = Document(f"{project.name}: character bible")
    pdf.add_page()
    for entry in bible(project):
        entry_pdf(pdf, entry)
    return bytes(pdf.output())
