"""The demo project's own short script, imported once into episode 3 when seeding."""

from __future__ import annotations

from pathlib import Path

from brain.models import Project
from screenplay.importing import ImportResult, import_script
from screenplay.models import ScriptImport

DEMO_SCRIPT = Path(__file__).parent / "demo" / "the_salt_oil.fountain"
DEMO_EPISODE = 3


def seed_demo_script(project: Project) -> ImportResult | None:
    """Import the demo script unless the project already has an import (idempotent)."""
    if ScriptImport.objects.filter(project=project).exists():
        return None
    return import_script(
        project, DEMO_SCRIPT.read_bytes(), DEMO_SCRIPT.name, episode_number=DEMO_EPISODE
    )
