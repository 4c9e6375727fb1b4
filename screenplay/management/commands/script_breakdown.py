"""python manage.py script_breakdown --project <slug> [--episode N] [--scene N]

Sends the scenes to the agent team for a breakdown (one orchestration per batch of
scenes that fits a request), waits for it in this process, and lists the proposed
elements. Confirm or reject them on each scene's breakdown page."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand, CommandError, CommandParser

from executions.requests import RequestInvalid
from executions.services import run_with_documents
from screenplay.breakdown import collect, start_breakdown
from screenplay.cli import project_or_error
from screenplay.exports import ExportError, chosen_scenes


class Command(BaseCommand):
    help = "Break scenes down into elements with the agent team (proposals to review)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--episode", type=int, help="Episode number.")
        parser.add_argument("--scene", type=int, help="Scene number (with --episode).")

    def handle(self, *args: Any, **options: Any) -> None:
        project = project_or_error(options["project"])
        try:
            scenes = chosen_scenes(project, options["episode"], options["scene"])
            runs = start_breakdown(project, scenes)
        except (ExportError, ValueError, RequestInvalid) as error:
            raise CommandError(str(error)) from None
        for run in runs:
            assert run.execution is not None
            execution_id = str(run.execution.execution_id)
            self.stdout.write(f"Breakdown run {run.pk}: orchestration {execution_id} ...")
            async_to_sync(run_with_documents)(execution_id)
            collect(run)
            run.refresh_from_db()
            self.stdout.write(f"  {run.status}: {run.message}")
            for proposal in run.proposals.select_related("scene"):
                self.stdout.write(
                    f"  S{proposal.scene.scene_number} {proposal.category}: {proposal.name} "
                    f"[{proposal.status}] line {proposal.line or '?'}"
                )
