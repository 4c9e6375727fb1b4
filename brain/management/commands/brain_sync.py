"""python manage.py brain_sync [--project slug]: rebuild the graph from the database."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from brain.graph import get_backend
from brain.graph.base import GraphError
from brain.services import ProjectNotFound, rebuild_graphs


class Command(BaseCommand):
    help = (
        "Bring the knowledge graph in line with the database (idempotent) and report the "
        "nodes and relationships created (+), updated (~) and deleted (-)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", help="Only this project (slug); default: all of them.")

    def handle(self, *args: Any, **options: Any) -> None:
        backend = get_backend()
        self.stdout.write(f"Graph backend: {backend.name}")
        try:
            reports = rebuild_graphs(options["project"])
        except ProjectNotFound as exc:
            raise CommandError(str(exc)) from None
        except (GraphError, OSError) as exc:
            raise CommandError(f"The graph could not be updated: {exc}") from exc
        if not reports:
            self.stdout.write("No projects.")
        for name, report in reports.items():
            style = self.style.SUCCESS if report.changed else self.style.NOTICE
            verdict = report.summary() if report.changed else "already in step"
            self.stdout.write(style(f"{name}: {verdict}"))
