"""Reading the test scripts."""

from __future__ import annotations

from pathlib import Path

SCRIPTS = Path(__file__).parent / "scripts"


def script_bytes(name: str) -> bytes:
    return (SCRIPTS / name).read_bytes()


def script_text(name: str) -> str:
    return (SCRIPTS / name).read_text(encoding="utf-8")
