"""Wiring the engine's AgentRunner to Django: the services that run one agent."""

from __future__ import annotations

from django.conf import settings

from agents.llm.client import LitellmClient, LitellmCosts, warm_up
from agents.models import Agent
from agents.selectors import agent_spec
from agents.tools.executor import DjangoToolExecutor
from brain.models import Project
from engine.breaker import BreakerRegistry
from engine.gateway import Gateway
from engine.retry import RetryConfig
from engine.runtime import AgentResult, AgentRunner, AgentTask
from executions.recorder import DjangoRunRecorder

# One registry per process: every run in this process shares each model's breaker,
# and the dashboard and /healthz read their state from here.
BREAKERS = BreakerRegistry()


def retry_config() -> RetryConfig:
    return RetryConfig(
        max_attempts=settings.ALADDIN_RETRY_ATTEMPTS,
        base_delay=settings.ALADDIN_RETRY_BASE_DELAY,
        max_delay=settings.ALADDIN_RETRY_MAX_DELAY,
    )


def build_gateway() -> Gateway:
    return Gateway(LitellmClient(), costs=LitellmCosts(), breakers=BREAKERS, retry=retry_config())


def build_runner(
    requested_by_id: int | None = None, *, recorder: DjangoRunRecorder | None = None
) -> AgentRunner:
    return AgentRunner(
        build_gateway(), DjangoToolExecutor(), recorder or DjangoRunRecorder(requested_by_id)
    )


async def run_agent(
    agent_id: str,
    prompt: str,
    *,
    project: Project | None = None,
    requested_by_id: int | None = None,
    runner: AgentRunner | None = None,
) -> AgentResult:
    """Run one agent directly (not inside an orchestration) and record it."""
    from asgiref.sync import sync_to_async

    from brain.relevance import relevant_context

    await warm_up()
    agent = await Agent.objects.select_related("department").aget(agent_id=agent_id)
    spec = await sync_to_async(agent_spec)(agent, project)
    context = await relevant_context(project.pk, prompt) if project else None
    runner = runner or build_runner(requested_by_id)
    return await runner.run(
        AgentTask(
            spec=spec,
            prompt=prompt,
            kind="agent",
            context=context,
            project_id=project.pk if project else None,
        )
    )
