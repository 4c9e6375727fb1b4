"""python manage.py orchestrate --project <slug> "<request>" [--json]

Runs an orchestration in this process and shows it live: departments and
specialists with their state and a progress bar, then the final report.
With --json only the final ExecuteResponse is printed, for scripts.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table

from aladdin import audit
from brain.models import Project
from brain.preparation import brain_documents_ready
from executions.models import ExecutionEvent
from executions.progress import Progress
from executions.requests import PRIORITIES, RequestInvalid, RequestOptions, validate_request
from executions.services import create_orchestration, run_orchestration

POLL_SECONDS = 0.2
STATUS_STYLE = {
    "completed": "green",
    "failed": "red",
    "rejected": "red",
    "cancelled": "yellow",
    "skipped": "yellow",
    "executing": "cyan",
    "working": "cyan",
    "reviewing": "magenta",
}


class Command(BaseCommand):
    help = "Send a request to the agent team and watch it work."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("request", help="What you want, in plain words.")
        parser.add_argument("--project", required=True, help="Project slug.")
        parser.add_argument("--json", action="store_true", help="Print only the final JSON.")
        parser.add_argument("--max-tokens", type=int, help="Token budget for this run.")
        parser.add_argument(
            "--quality-threshold", type=float, help="Minimum specialist score (0-100) for this run."
        )
        parser.add_argument(
            "--priority",
            choices=PRIORITIES,
            default="medium",
            help="Order among queued runs (default: medium).",
        )

    def execute(self, *args: Any, **options: Any) -> Any:
        with audit.cli():  # audit rows written by this command say "cli"
            return super().execute(*args, **options)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            valid = validate_request(
                options["request"],
                {
                    "maxTokens": options["max_tokens"],
                    "qualityThreshold": options["quality_threshold"],
                    "priority": options["priority"],
                },
            )
        except RequestInvalid as error:
            raise CommandError(f"Invalid request: {error}") from None
        try:
            project = Project.objects.get(slug=options["project"])
        except Project.DoesNotExist:
            slugs = ", ".join(Project.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No project {options['project']!r} (projects: {slugs}).") from None
        prompt, run_options = valid.prompt, valid.options
        response = asyncio.run(self._run(project, prompt, run_options, options["json"]))
        if options["json"]:
            self.stdout.write(json.dumps(response, indent=2, ensure_ascii=False, default=str))
        if response.get("status") != "completed":
            raise CommandError(
                f"The orchestration {response.get('status')}: "
                f"{(response.get('error') or {}).get('message', '')}"
            )

    async def _run(
        self, project: Project, prompt: str, options: RequestOptions, quiet: bool
    ) -> dict[str, Any]:
        root = await sync_to_async(create_orchestration)(
            project, prompt, options=options, in_process=True
        )
        execution_id = str(root.execution_id)
        task = asyncio.create_task(run_orchestration(execution_id))
        if quiet:
            response = await task
            await brain_documents_ready(execution_id)  # before the command's loop ends
            return response
        console = Console(file=sys.stdout, force_terminal=None)
        if settings.ALADDIN_DEFAULT_MODEL == settings.DEMO_MODEL:
            console.print(
                "[yellow]Agents answer with the built-in demo model: outputs are "
                "placeholders, and their tokens are shown but not charged to the "
                "project's daily budget. Set ALADDIN_DEFAULT_MODEL for a real provider.[/]"
            )
        console.print(f"Orchestration [bold]{execution_id}[/] for {project.name}")
        progress = Progress()
        if console.is_terminal:
            await watch_live(console, task, execution_id, progress)
        else:
            # A pipe or a log file gets the final table once. Rich's Live would print
            # the same, but without ending its last line (Textualize/rich#4192).
            await asyncio.wait([task])
            await follow(execution_id, progress)
            console.print(render(progress))
        response = await task
        print_report(console, response)
        await brain_documents_ready(execution_id)  # before the command's loop ends
        return response


async def watch_live(
    console: Console, task: asyncio.Task[Any], execution_id: str, progress: Progress
) -> None:
    with Live(render(progress), console=console, refresh_per_second=8) as live:
        while not task.done():
            await asyncio.sleep(POLL_SECONDS)
            await follow(execution_id, progress)
            live.update(render(progress))
        await follow(execution_id, progress)
        live.update(render(progress))


async def follow(execution_id: str, progress: Progress) -> None:
    async for event in ExecutionEvent.objects.filter(
        execution__execution_id=execution_id, sequence__gt=progress.last_sequence
    ).order_by("sequence"):
        progress.apply(event.sequence, event.type, event.payload)


def render(progress: Progress) -> Group:
    table = Table(expand=True, show_edge=False)
    table.add_column("Department / specialist")
    table.add_column("State")
    table.add_column("Score", justify="right")
    table.add_column("Decision")
    for department in progress.departments.values():
        table.add_row(
            f"[bold]{department.slug}[/] ({department.relevance:.2f})",
            styled(department.status),
            score(department.score),
            department.decision,
        )
        for specialist in department.specialists.values():
            state = specialist.status
            if state == "executing":
                state = f"executing {specialist.progress:.0%} {specialist.step}"
            retry = f" (attempt {specialist.attempts})" if specialist.attempts > 1 else ""
            table.add_row(
                f"  {specialist.agent_id}{retry}",
                styled(state),
                score(specialist.score),
                specialist.decision,
            )
    bar = ProgressBar(total=100, completed=progress.percent, width=50)
    header = Table.grid(padding=1)
    header.add_row(bar, f"{progress.percent}%", f"phase: {progress.phase}")
    return Group(header, table)


def styled(status: str) -> str:
    colour = STATUS_STYLE.get(status.split(" ")[0], "white")
    return f"[{colour}]{status}[/]"


def score(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def cost_text(cost: float | None) -> str:
    return "unknown (a model has no price)" if cost is None else f"${cost:.4f}"


def print_report(console: Console, response: dict[str, Any]) -> None:
    metrics = response.get("metrics", {})
    lines = [
        f"Status: [bold]{response.get('status')}[/]   Stopped: "
        f"[bold]{response.get('stopReason', '')}[/]   Recommendation: "
        f"[bold]{response.get('recommendation')}[/]",
        f"Overall quality: {response.get('overallQuality')}   Consistency: "
        f"{response.get('consistency')}",
        f"Time: {metrics.get('totalTime')} ms   Tokens: {metrics.get('tokensUsed')} "
        f"({metrics.get('inputTokens', 0)} in, {metrics.get('outputTokens', 0)} out)   "
        f"Agents: {metrics.get('agentsSpawned')}   Cost: {cost_text(metrics.get('cost'))}",
        f"Stored in the brain: {response.get('entitiesStored', 0)} entities",
    ]
    if response.get("error"):
        lines.append(f"[red]Error: {escape(str(response['error'].get('message')))}[/]")
    console.print(Panel("\n".join(lines), title="Result"))
    print_omitted(console, response.get("omitted") or [])
    for report in response.get("departmentReports", []):
        synthesis = report.get("report") or {}
        body = (
            synthesis.get("summary")
            or report.get("note")
            or (report.get("error") or {}).get("message", "")
        )
        title = f"{report.get('name', report['department'])} - {report.get('status')}"
        title += f" - score {report.get('score')}"
        console.print(Panel(escape(str(body)), title=escape(title)))


def print_omitted(console: Console, omitted: list[dict[str, Any]]) -> None:
    """What the budget cut (before the start) or skipped (once it ran out)."""
    if not omitted:
        return
    table = Table(title="Left out", expand=True, show_edge=False)
    table.add_column("Department")
    table.add_column("Agent")
    table.add_column("Why")
    for item in omitted:
        when = "planned out" if item.get("stage") == "plan" else "skipped"
        table.add_row(
            escape(str(item.get("department") or "(run)")),
            escape(str(item.get("agent") or "(whole department)")),
            escape(f"{item.get('reason')}, {when}: {item.get('detail', '')}"),
        )
    console.print(table)
