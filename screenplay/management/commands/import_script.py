"""python manage.py import_script --project <slug> [--episode N] FILE

Imports a Fountain, Final Draft (.fdx) or PDF script into the project's episode
(default 1). Importing a revised draft again updates the episode in place and
reports the scenes added, removed and changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aladdin.text import plural
from screenplay.cli import project_or_error
from screenplay.importing import import_script
from screenplay.parsing import ScriptError


class Command(BaseCommand):
    help = "Import a screenplay (Fountain, FDX or PDF) into a project's episode."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The script file.")
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--episode", type=int, default=1, help="Episode number (default 1).")
        parser.add_argument(
            "--canon",
            action="store_true",
            help="Then check the added and changed scenes against the canon (LLM).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = project_or_error(options["project"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if path.stat().st_size > settings.ALADDIN_SCRIPT_MAX_BYTES:
            limit = settings.ALADDIN_SCRIPT_MAX_BYTES / 1_048_576
            raise CommandError(f"{path.name}: larger than the {limit:.1f} MB limit.")
        try:
            result = import_script(
                project, path.read_bytes(), path.name, episode_number=options["episode"]
            )
        except ScriptError as error:
            raise CommandError(f"{path.name}: {error}") from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
        for kind in ("added", "changed", "removed"):
            for scene in getattr(result, kind):
                self.stdout.write(f"  {kind}: {scene}")
        if options["canon"] and result.touched:
            from executions.runners import pipeline_llm
            from screenplay.canon import check_canon

            count = check_canon(project, pipeline_llm(project), result.touched)
            self.stdout.write(
                f"Canon checked for {plural(len(result.touched), 'scene')}: "
                f"{plural(count, 'open warning')}."
            )
