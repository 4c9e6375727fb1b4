"""Making a screenplay PDF in the test (fpdf2, Courier 12, standard indents), from a
Fountain file read by our own parser: what a writer's app would print."""

from __future__ import annotations

from fpdf import FPDF

from screenplay.parsing.base import (
    CHARACTER,
    DIALOGUE,
    HEADING,
    PARENTHETICAL,
    TRANSITION,
)
from screenplay.parsing.fountain import parse_fountain

# Left indent (inches from the left margin) and width per element, as printed scripts.
LAYOUT = {
    HEADING: (0.0, 6.0),
    CHARACTER: (2.2, 3.5),
    PARENTHETICAL: (1.6, 2.5),
    DIALOGUE: (1.0, 3.5),
    TRANSITION: (4.0, 2.0),
}
LINE_MM = 4.23  # 6 lines per inch


def fountain_to_pdf(text: str) -> bytes:
    script = parse_fountain(text)
    pdf = FPDF(unit="mm", format="letter")
    pdf.set_margins(38.1, 25.4, 25.4)
    pdf.set_auto_page_break(True, margin=25.4)
    pdf.add_page()
    pdf.set_font("Courier", size=12)
    previous = ""
    for element in script.elements:
        if element.kind not in (DIALOGUE, PARENTHETICAL) and previous:
            pdf.ln(LINE_MM)
        indent, width = LAYOUT.get(element.kind, (0.0, 6.0))
        pdf.set_x(38.1 + indent * 25.4)
        text = element.text
        if element.kind == HEADING and element.scene_number:
            text = f"{text} #{element.scene_number}#"
        if element.kind == CHARACTER and element.dual:
            text += " ^"
        pdf.multi_cell(width * 25.4, LINE_MM, text or " ", new_x="LMARGIN", new_y="NEXT")
        previous = element.kind
    return bytes(pdf.output())
