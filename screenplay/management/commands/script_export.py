"""python manage.py script_export --project <slug> KIND [--episode N] [--scene N] [-o FILE]

Writes a production document: scenes-csv (scene list / stripboard), cast-csv,
sheets-html / sheets-pdf (breakdown sheets), bible-md / bible-pdf (character
bible), fountain (an episode, or one scene with --scene). Prints text documents
when no --output is given."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from screenplay import exports
from screenplay.cli import project_or_error


class Command(BaseCommand):
    help = "Export a scene list, cast list, breakdown sheets, the bible or Fountain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(exports.KINDS))
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--episode", type=int, help="Episode number.")
        parser.add_argument("--scene", type=int, help="Scene number (with --episode).")
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        project = project_or_error(options["project"])
        try:
            document = exports.export(
                project, options["kind"], episode=options["episode"], scene=options["scene"]
            )
        except exports.ExportError as error:
            raise CommandError(str(error)) from None
        if options["output"]:
            Path(options["output"]).write_bytes(document.content)
            self.stdout.write(self.style.SUCCESS(f"Wrote {options['output']}."))
        elif document.binary:
            raise CommandError(f"{options['kind']} is binary: give --output FILE.")
        else:
            sys.stdout.write(document.content.decode("utf-8"))
