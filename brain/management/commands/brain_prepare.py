"""python manage.py brain_prepare --project slug [--canon-only]

Runs the data preparation pipeline of spec 3.2 over a project's existing canon (the
project, its episodes, scenes and characters) with a progress bar, so search and the
judge's canon check have brain documents to work with.
"""

from __future__ import annotations

import asyncio
from typing import IO, Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import Progress

from brain.models import Project
from brain.pipeline import PipelineResult, canon_llm
from brain.services import entity_refs, prepare_project
from executions.runners import pipeline_llm


class Command(BaseCommand):
    help = "Make brain documents for a project's canon through the data preparation pipeline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument(
            "--canon-only",
            action="store_true",
            help="No model: metadata from the entities' own fields, no new relationships.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            project = Project.objects.get(slug=options["project"])
        except Project.DoesNotExist:
            slugs = ", ".join(Project.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No project {options['project']!r} (projects: {slugs}).") from None
        offline = options["canon_only"] or settings.ALADDIN_DEFAULT_MODEL == settings.DEMO_MODEL
        if offline:
            self.stdout.write("No model used: metadata comes from the canon's own fields.")
        llm = canon_llm() if offline else pipeline_llm(project)
        refs = entity_refs(project)
        console = Console(file=cast(IO[str], self.stdout))
        with Progress(console=console, transient=False) as bar:
            task = bar.add_task(f"Preparing {project.name}", total=len(refs))

            def advance(result: PipelineResult) -> None:
                bar.advance(task)
                if not result.ok:
                    bar.console.print(
                        f"{result.entity.type} {result.entity.id}: {result.status}: "
                        + "; ".join(result.problems[:2])
                    )

            results = asyncio.run(prepare_project(project, llm=llm, refs=refs, on_result=advance))
        stored = sum(1 for r in results if r.ok)
        style = self.style.SUCCESS if stored == len(results) else self.style.WARNING
        self.stdout.write(style(f"{stored} of {len(results)} documents stored."))
