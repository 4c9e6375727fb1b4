"""Reading a script file of any supported format into a ParsedScript.

The checks that come before any format (size, empty, binary) live here, so every
entry point (command, page, admin, API) refuses bad input the same way."""

from __future__ import annotations

from pathlib import PurePath

from screenplay.parsing.base import ParsedScript, ScriptError
from screenplay.parsing.fdx import parse_fdx
from screenplay.parsing.fountain import parse_fountain
from screenplay.parsing.pdf import parse_pdf

FORMATS = ("fountain", "fdx", "pdf")
TEXT_SUFFIXES = {".fountain", ".spmd", ".txt", ""}


def detect_format(name: str, data: bytes) -> str:
    if data.startswith(b"%PDF"):
        return "pdf"
    head = data[:400].lstrip(b"\xef\xbb\xbf \r\n\t")
    if head.startswith(b"<?xml") or head.startswith(b"<FinalDraft"):
        return "fdx"
    suffix = PurePath(name).suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix == ".fdx":
        return "fdx"
    return "fountain"


def decode_text(data: bytes) -> str:
    """UTF-8 text, or a ScriptError naming the first line that is not text."""
    nul = data.find(b"\x00")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ScriptError("this is not UTF-8 text (a binary file?).", line) from None
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise ScriptError("this is a binary file (it contains NUL bytes), not a script.", line)
    return text


def read_script(name: str, data: bytes, *, max_bytes: int) -> ParsedScript:
    if len(data) > max_bytes:
        raise ScriptError(
            f"The file is {len(data) / 1_048_576:.1f} MB; the limit is "
            f"{max_bytes / 1_048_576:.1f} MB (ALADDIN_SCRIPT_MAX_BYTES)."
        )
    if not data.strip():
        raise ScriptError("the file is empty.", 1)
    kind = detect_format(name, data)
    if kind == "pdf":
        return parse_pdf(data)
    if kind == "fdx":
        decode_text(data)  # a binary .fdx fails here with its line
        return parse_fdx(data)
    return parse_fountain(decode_text(data))


__all__ = ["FORMATS", "ParsedScript", "ScriptError", "detect_format", "read_script"]
