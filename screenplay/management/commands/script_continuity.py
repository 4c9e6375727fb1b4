"""python manage.py script_continuity --project <slug> [--canon]

Re-runs the continuity checks and prints the open warnings. --canon also runs the
LLM canon check of every character with canon against their lines."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from aladdin.text import plural
from screenplay.cli import project_or_error
from screenplay.continuity import check_project, open_warnings


class Command(BaseCommand):
    help = "Check a project's script for continuity errors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--canon", action="store_true", help="Also run the LLM canon check.")

    def handle(self, *args: Any, **options: Any) -> None:
        project = project_or_error(options["project"])
        check_project(project)
        if options["canon"]:
            from executions.runners import pipeline_llm
            from screenplay.canon import check_canon

            check_canon(project, pipeline_llm(project))
        warnings = list(open_warnings(project))
        self.stdout.write(f"{plural(len(warnings), 'open continuity warning')} for {project.name}.")
        for warning in warnings:
            lines = ", ".join(str(n) for n in warning.lines)
            where = f" (lines {lines})" if lines else ""
            self.stdout.write(f"- [{warning.get_rule_display()}] {warning.message}{where}")
