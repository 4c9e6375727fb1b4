"""Running one agent directly (POST /api/agents/execute): recorded like any run,
with events, inside the project's budgets, with the project's provider key."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.sync import sync_to_async

from agents.llm.client import warm_up
from agents.models import Agent
from agents.selectors import agent_spec
from aladdin import audit
from brain.models import Project
from brain.relevance import relevant_context
from engine import events
from engine.runtime import AgentResult, AgentTask
from executions.events import DjangoEventSink
from executions.recorder import DjangoRunRecorder
from executions.runners import build_runner, runs_on_demo
from executions.selectors import budget_ledger


class _Recorder(DjangoRunRecorder):
    """Remembers the run's id as soon as the row exists, so step events can name it."""

    execution_id = ""

    async def start(self, run: Any) -> str:
        self.execution_id = await super().start(run)
        return self.execution_id


def task_prompt(prompt: str, context: Any = None, previous_run: Any = None) -> str:
    parts = [prompt]
    if context is not None:
        parts.append("CONTEXT FROM THE CALLER:\n" + json.dumps(context, ensure_ascii=False))
    if previous_run is not None:
        parts.append("YOUR PREVIOUS RUN:\n" + json.dumps(previous_run, ensure_ascii=False))
    return "\n\n".join(parts)


async def execute_agent(
    agent: Agent,
    prompt: str,
    project: Project,
    *,
    requested_by_id: int | None = None,
    context: Any = None,
    previous_run: Any = None,
) -> AgentResult:
    await warm_up()
    spec = await sync_to_async(agent_spec)(agent, project)
    ledger = await sync_to_async(budget_ledger)(project, demo=runs_on_demo(spec))
    recorder = _Recorder(requested_by_id)
    sink = DjangoEventSink(recorder.rows.pks)

    async def on_step(step: int, max_steps: int, what: str) -> None:
        if recorder.execution_id:
            await _emit(sink, recorder.execution_id, agent.agent_id, step / max(max_steps, 1), what)

    try:
        result = await build_runner(
            requested_by_id, recorder=recorder, api_key=project.llm_api_key or None
        ).run(
            AgentTask(
                spec=spec,
                prompt=task_prompt(prompt, context, previous_run),
                kind="agent",
                context=await relevant_context(project.pk, prompt),
                project_id=project.pk,
                params={"context": context, "previousRun": previous_run},
                ledgers=(ledger,),
                on_step=on_step,
            )
        )
    finally:  # its leases: spending recorded, unused room given back; its rows written
        await asyncio.shield(ledger.aclose())
        await asyncio.shield(recorder.flush())
    await _finish_events(sink, result, agent.agent_id)
    await sync_to_async(audit.record)(
        "agent.execute",
        "execution",
        result.execution_id,
        user_id=requested_by_id,
        changes={"agentId": agent.agent_id, "project": project.slug, "status": result.status},
        success=result.ok,
        error_message=str(result.error or ""),
    )
    return result


async def _emit(
    sink: DjangoEventSink, run_id: str, agent_id: str, progress: float, step: str
) -> None:
    await sink.emit(
        run_id,
        "specialist-executing",
        {
            "executionId": run_id,
            "specialistId": agent_id,
            "progress": round(min(progress, 1.0), 4),
            "currentStep": step,
        },
    )


async def _finish_events(sink: DjangoEventSink, result: AgentResult, agent_id: str) -> None:
    run_id = result.execution_id
    if result.ok:
        await sink.emit(
            run_id,
            "specialist-complete",
            {
                "executionId": run_id,
                "specialistId": agent_id,
                "output": result.output,
                "qualityScore": None,
                "executionTime": result.elapsed_ms,
            },
        )
    else:
        message = result.error.message if result.error else result.status
        event = events.error(run_id, message, {"agentId": agent_id, "status": result.status})
        await sink.emit(run_id, event.type, event.payload)
