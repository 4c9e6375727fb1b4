"""PDF scripts: the text layer is extracted with pypdf in layout mode (which keeps
the vertical gaps a screenplay's rules depend on), page numbers are dropped, and the
text is read with the Fountain rules. Line numbers refer to the extracted text,
which is what the import keeps."""

from __future__ import annotations

import io
import re

from screenplay.parsing.base import ParsedScript, ScriptError
from screenplay.parsing.fountain import parse_fountain

PAGE_NUMBER_RE = re.compile(r"^\s*\d+\.?\s*$")
BLANK_RUN_RE = re.compile(r"\n{3,}")


def pdf_text(data: bytes) -> str:
    # pypdf costs 25 MB of memory: loaded by the first PDF, not by every process.
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text(extraction_mode="layout") for page in reader.pages]
    except PdfReadError as error:
        raise ScriptError(f"This PDF cannot be read: {error}.") from None
    except Exception as error:  # a damaged file can fail anywhere inside pypdf
        raise ScriptError(f"This PDF cannot be read ({type(error).__name__}).") from None
    kept: list[str] = []
    for page in pages:
        lines = [line.rstrip() for line in page.splitlines()]
        kept.extend("" if PAGE_NUMBER_RE.match(line) else line for line in lines)
        kept.append("")
    text = BLANK_RUN_RE.sub("\n\n", "\n".join(kept)).strip("\n") + "\n"
    if not text.strip():
        raise ScriptError("This PDF has no text layer (a scan?); export the script as text.")
    return text


def parse_pdf(data: bytes) -> ParsedScript:
    return parse_fountain(pdf_text(data), format="pdf")
