"""python manage.py run_agent <agentId> "<prompt>" [--project slug]"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.models import Agent
from aladdin import audit
from brain.models import Project
from executions.models import ToolCall
from executions.requests import RequestInvalid, validate_request
from executions.runners import run_agent


class Command(BaseCommand):
    help = "Run one agent on a prompt and print its output, tool calls, tokens and cost."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agent_id")
        parser.add_argument("prompt")
        parser.add_argument("--project", help="Project slug whose context the agent gets.")

    def execute(self, *args: Any, **options: Any) -> Any:
        with audit.cli():  # audit rows written by this command say "cli"
            return super().execute(*args, **options)

    def handle(self, *args: Any, **options: Any) -> None:
        agent_id = options["agent_id"]
        try:
            prompt = validate_request(options["prompt"]).prompt
        except RequestInvalid as error:
            raise CommandError(f"Invalid request: {error}") from None
        if not Agent.objects.filter(agent_id=agent_id).exists():
            raise CommandError(
                f"No agent {agent_id!r}. Agents: python manage.py shell -c "
                '"from agents.models import Agent; print(*Agent.objects.values_list('
                "'agent_id', flat=True))\""
            )
        project = self._project(options["project"])
        if settings.ALADDIN_DEFAULT_MODEL == settings.DEMO_MODEL:
            self.stderr.write(
                self.style.WARNING(
                    "Using the built-in demo model: the output is a placeholder, and its "
                    "tokens are not charged to the project's daily budget. Set "
                    "ALADDIN_DEFAULT_MODEL (and ALADDIN_LLM_API_KEY) for a real provider."
                )
            )
        result = asyncio.run(run_agent(agent_id, prompt, project=project))
        audit.record(
            "agent.execute",
            "execution",
            result.execution_id,
            changes={"agentId": agent_id, "project": project.slug if project else None},
            success=result.ok,
            error_message=str(result.error or ""),
        )
        self._report(result)
        if not result.ok:
            raise CommandError(f"The run {result.status}: {result.error}")

    def _project(self, slug: str | None) -> Project | None:
        if not slug:
            return None
        try:
            return Project.objects.get(slug=slug)
        except Project.DoesNotExist:
            slugs = ", ".join(Project.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No project {slug!r} (projects: {slugs}).") from None

    def _report(self, result: Any) -> None:
        out = self.stdout
        out.write(self.style.MIGRATE_HEADING(f"Execution {result.execution_id}: {result.status}"))
        out.write(f"Model: {result.model or '-'}")
        output = result.output
        text = (
            output if isinstance(output, str) else json.dumps(output, indent=2, ensure_ascii=False)
        )
        out.write(self.style.MIGRATE_HEADING("Output"))
        out.write(text or result.raw_output or "(none)")
        calls = ToolCall.objects.filter(execution__execution_id=result.execution_id)
        out.write(self.style.MIGRATE_HEADING(f"Tool calls ({calls.count()})"))
        for call in calls:
            status = "ok" if call.success else f"error: {call.error}"
            out.write(
                f"  {call.tool_name} {json.dumps(call.input)} -> {status} ({call.duration_ms} ms)"
            )
        cost = (
            "unknown (no price for this model)" if result.cost is None else (f"${result.cost:.6f}")
        )
        out.write(self.style.MIGRATE_HEADING("Usage"))
        out.write(
            f"  tokens: {result.input_tokens} in + {result.output_tokens} out = "
            f"{result.total_tokens}; cost: {cost}; LLM retries: {result.llm_retries}"
        )
