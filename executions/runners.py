"""Building runners where runs live: the gateway (agents/), the tools (agents/) and
the recorder (here), wired into the engine's AgentRunner; and the LLM the brain's
data preparation pipeline is handed (brain/ takes it as an argument, never
importing the apps above it)."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings

from agents.llm.client import is_demo, warm_up
from agents.models import Agent
from agents.runtime import build_gateway
from agents.selectors import agent_spec
from agents.tools.executor import DjangoToolExecutor
from brain.models import Project
from brain.pipeline import JsonLLM, gateway_llm
from brain.relevance import relevant_context
from engine.complexity import ModelTier
from engine.ports import AgentSpec
from engine.runtime import AgentResult, AgentRunner, AgentTask
from executions.events import flush_writes
from executions.recorder import DjangoRunRecorder
from executions.selectors import budget_ledger


def build_runner(
    requested_by_id: int | None = None,
    *,
    recorder: DjangoRunRecorder | None = None,
    api_key: str | None = None,
) -> AgentRunner:
    """One runner per orchestration (or direct run): its recorder records the runs
    and their tool calls."""
    recorder = recorder or DjangoRunRecorder(requested_by_id)
    return AgentRunner(build_gateway(api_key), DjangoToolExecutor(recorder), recorder)


def pipeline_llm(project: Project | None = None) -> JsonLLM:
    """The JSON-answering LLM of the brain pipeline: the project's standard tier."""
    model = (
        (project.model_standard if project else "")
        or settings.ALADDIN_MODEL_STANDARD
        or settings.ALADDIN_DEFAULT_MODEL
    )
    api_key = (project.llm_api_key or None) if project else None
    return gateway_llm(build_gateway(api_key), model)


async def run_agent(
    agent_id: str,
    prompt: str,
    *,
    project: Project | None = None,
    requested_by_id: int | None = None,
    runner: AgentRunner | None = None,
) -> AgentResult:
    """Run one agent directly (not inside an orchestration) and record it."""
    await warm_up()
    agent = await Agent.objects.select_related("department").aget(agent_id=agent_id)
    spec = await sync_to_async(agent_spec)(agent, project)
    context = await relevant_context(project.pk, prompt) if project else None
    api_key = (project.llm_api_key or None) if project else None
    runner = runner or build_runner(requested_by_id, api_key=api_key)
    # With a project the run is held to its budgets like any other (the day's
    # account is shared with every run of the project; demo runs are not charged).
    ledgers = (
        (await sync_to_async(budget_ledger)(project, demo=runs_on_demo(spec)),) if project else ()
    )
    try:
        return await runner.run(
            AgentTask(
                spec=spec,
                prompt=prompt,
                kind="agent",
                context=context,
                project_id=project.pk if project else None,
                ledgers=ledgers,
            )
        )
    finally:  # their leases: spending recorded, unused room given back; rows written
        for ledger in ledgers:
            await asyncio.shield(ledger.aclose())
        await asyncio.shield(flush_writes())


def runs_on_demo(spec: AgentSpec) -> bool:
    """True if any of the agent's model tiers is the built-in demo model."""
    return any(is_demo(spec.models.for_tier(tier)) for tier in ModelTier)
