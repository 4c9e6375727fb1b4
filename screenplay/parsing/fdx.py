"""Final Draft (.fdx) files: XML paragraphs with a Type, read with defusedxml's SAX
parser, which refuses entity expansion (XML bombs) and external entities. Each
element's line is the line of its <Paragraph> tag in the file."""

from __future__ import annotations

from typing import Any
from xml.sax import SAXException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import Locator

from defusedxml import DefusedXmlException
from defusedxml.sax import parseString

from screenplay.parsing.base import (
    ACTION,
    CHARACTER,
    DIALOGUE,
    HEADING,
    PARENTHETICAL,
    TRANSITION,
    ParsedScript,
    ScriptElement,
    ScriptError,
)

PARAGRAPH_KINDS = {
    "Scene Heading": HEADING,
    "Action": ACTION,
    "General": ACTION,
    "Shot": ACTION,
    "Character": CHARACTER,
    "Dialogue": DIALOGUE,
    "Parenthetical": PARENTHETICAL,
    "Transition": TRANSITION,
}


class _Handler(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.locator: Locator | None = None
        self.elements: list[ScriptElement] = []
        self.title_lines: list[str] = []
        self.depth_title = 0
        self.dual = 0
        self.paragraph: dict[str, Any] | None = None
        self.in_text = False
        self.seen_root = False

    def setDocumentLocator(self, locator: Locator) -> None:  # SAX API names
        self.locator = locator

    def startElement(self, name: str, attrs: Any) -> None:
        if not self.seen_root:
            self.seen_root = True
            if name != "FinalDraft":
                raise ScriptError(f"This XML is not a Final Draft file (root <{name}>).", 1)
        if name == "TitlePage":
            self.depth_title += 1
        elif name == "DualDialogue":
            self.dual += 1
        elif name == "Paragraph":
            line = self.locator.getLineNumber() if self.locator else 0
            self.paragraph = {"type": attrs.get("Type", ""), "number": attrs.get("Number", "")}
            self.paragraph.update(line=line, text=[])
        elif name == "Text" and self.paragraph is not None:
            self.in_text = True

    def characters(self, content: str) -> None:
        if self.in_text and self.paragraph is not None:
            self.paragraph["text"].append(content)

    def endElement(self, name: str) -> None:
        if name == "Text":
            self.in_text = False
        elif name == "TitlePage":
            self.depth_title -= 1
        elif name == "DualDialogue":
            self.dual -= 1
        elif name == "Paragraph" and self.paragraph is not None:
            self.finish(self.paragraph)
            self.paragraph = None

    def finish(self, paragraph: dict[str, Any]) -> None:
        text = " ".join("".join(paragraph["text"]).split())
        if self.depth_title:
            if text:
                self.title_lines.append(text)
            return
        kind = PARAGRAPH_KINDS.get(paragraph["type"])
        if kind is None or not text:
            return
        number = paragraph["number"] if kind == HEADING else ""
        dual = kind == CHARACTER and self.dual > 0
        self.elements.append(ScriptElement(kind, text, paragraph["line"], number, dual))


def parse_fdx(data: bytes) -> ParsedScript:
    handler = _Handler()
    try:
        parseString(data, handler, forbid_dtd=True)
    except DefusedXmlException as error:
        raise ScriptError(f"The XML was refused as unsafe: {error}.") from None
    except SAXException as error:
        line = getattr(error, "getLineNumber", lambda: None)()
        raise ScriptError(f"This is not well-formed XML: {error.getMessage()}.", line) from None
    title = {"title": handler.title_lines[0]} if handler.title_lines else {}
    text = data.decode("utf-8", errors="replace")
    return ParsedScript(format="fdx", text=text, title_page=title, elements=handler.elements)
