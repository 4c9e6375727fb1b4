"""Write paths for orchestrations: start, run, cancel.

By default an orchestration runs as an asyncio task in the process that
started it. With a Celery broker configured it runs on a worker instead; a
watcher polls the database for cancel requests, so cancelling works from any
process within a second.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from agents.llm.client import is_demo, warm_up
from agents.runtime import build_runner
from aladdin import audit
from brain.models import Project
from brain.store import DjangoGraphStore
from engine.complexity import ModelTier
from engine.errors import AladdinError
from engine.orchestrator import (
    OrchestrationRequest,
    OrchestrationSettings,
    Orchestrator,
    Team,
)
from executions.events import DjangoEventSink
from executions.models import Conversation, Execution
from executions.recorder import DjangoRunRecorder
from executions.requests import RequestOptions
from executions.selectors import budget_ledger, orchestrator_agent, team_for

logger = logging.getLogger(__name__)
CANCEL_POLL_SECONDS = 0.25
HEARTBEAT_EVERY_POLLS = 20  # every 5 s; see ALADDIN_HEARTBEAT_TIMEOUT_SECONDS

# Orchestrations running in this process, by root execution id.
RUNNING: dict[str, asyncio.Task[dict[str, Any]]] = {}
ORCHESTRATORS: dict[str, Orchestrator] = {}


def orchestration_settings() -> OrchestrationSettings:
    return OrchestrationSettings(
        relevance_threshold=settings.ALADDIN_DEPARTMENT_RELEVANCE_THRESHOLD,
        max_parallel_departments=settings.ALADDIN_MAX_PARALLEL_DEPARTMENTS,
        max_parallel_specialists=settings.ALADDIN_MAX_PARALLEL_SPECIALISTS,
    )


def create_orchestration(
    project: Project,
    prompt: str,
    *,
    user_id: int | None = None,
    conversation: Conversation | None = None,
    options: RequestOptions | None = None,
) -> Execution:
    """The root row, pending; the run itself is started by `launch`."""
    options = options or RequestOptions()
    agent = orchestrator_agent()
    root = Execution.objects.create(
        kind=Execution.Kind.ORCHESTRATION,
        agent=agent,
        agent_version=agent.version,
        project=project,
        conversation=conversation,
        requested_by_id=user_id,
        prompt=prompt,
        params={
            "options": {
                "priority": options.priority,
                "maxTokens": options.max_tokens,
                "qualityThreshold": options.quality_threshold,
            }
        },
        status=Execution.Status.PENDING,
        status_history=[{"status": "pending", "at": timezone.now().isoformat()}],
    )
    root.root = root
    root.save(update_fields=["root"])
    audit.record(
        "orchestration.start",
        "execution",
        root.execution_id,
        changes={"project": project.slug, "prompt": prompt[:500]},
    )
    return root


async def start_orchestration(project: Project, prompt: str, **kwargs: Any) -> str:
    """Create the run and start it; returns the execution id at once."""
    root = await sync_to_async(create_orchestration)(project, prompt, **kwargs)
    execution_id = str(root.execution_id)
    await launch(execution_id)
    return execution_id


async def launch(execution_id: str) -> None:
    """In this process by default; on a Celery worker when a broker is configured."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        task = asyncio.get_running_loop().create_task(run_orchestration(execution_id))
        RUNNING[execution_id] = task
        task.add_done_callback(lambda _: RUNNING.pop(execution_id, None))
    else:
        await sync_to_async(enqueue)(execution_id)


def enqueue(execution_id: str) -> None:
    from executions.tasks import run_orchestration_task

    run_orchestration_task.delay_on_commit(execution_id)


async def run_orchestration(execution_id: str) -> dict[str, Any]:
    await warm_up()
    root = await Execution.objects.select_related("project").aget(execution_id=execution_id)
    options = root.params.get("options", {})
    project = root.project
    if project is None:
        raise ValueError(f"Orchestration {execution_id} has no project.")
    recorder = DjangoRunRecorder(root.requested_by_id)
    orchestrator = Orchestrator(
        # One recorder per orchestration: it caches ids and timings of its runs.
        build_runner(root.requested_by_id, recorder=recorder),
        recorder,
        DjangoEventSink(),
        DjangoGraphStore(),
        orchestration_settings(),
    )
    ORCHESTRATORS[execution_id] = orchestrator
    request = OrchestrationRequest(
        root_id=execution_id,
        prompt=root.prompt,
        project_id=project.pk,
        project_uid=str(project.uid),
        quality_threshold=options.get("qualityThreshold"),
    )
    current = asyncio.current_task()
    watcher = asyncio.create_task(_watch_cancellation(execution_id, orchestrator, current))
    try:
        team = await sync_to_async(team_for)(project)
        request.store_results = not uses_demo_model(team)
        ledger = await sync_to_async(budget_ledger)(project, options.get("maxTokens"))
        return await orchestrator.run(request, team, ledger)
    except AladdinError as error:  # the team or budget could not even be set up
        return await orchestrator.fail_early(request, error)
    finally:
        watcher.cancel()
        ORCHESTRATORS.pop(execution_id, None)


def uses_demo_model(team: Team) -> bool:
    specs = [team.orchestrator]
    for department in team.departments:
        specs += [department.head, *department.specialists]
    return any(is_demo(spec.models.for_tier(tier)) for spec in specs for tier in ModelTier)


async def _watch_cancellation(
    execution_id: str, orchestrator: Orchestrator, task: asyncio.Task[Any] | None
) -> None:
    """Turn cancel requests written by any process into task cancellation here, and
    keep the root's heartbeat fresh so a stopped process can be told from a slow run."""
    polls = 0
    while True:
        await asyncio.sleep(CANCEL_POLL_SECONDS)
        polls += 1
        if polls % HEARTBEAT_EVERY_POLLS == 0:
            await Execution.objects.filter(execution_id=execution_id).aupdate(
                updated_at=timezone.now()
            )
        requested = [
            row
            async for row in Execution.objects.filter(
                root__execution_id=execution_id, cancel_requested=True
            )
            .select_related("department")
            .only("kind", "department__slug")
        ]
        for row in requested:
            if row.kind == Execution.Kind.ORCHESTRATION and task is not None:
                task.cancel()
                return
            if row.kind == Execution.Kind.DEPARTMENT and row.department is not None:
                await orchestrator.cancel_department(row.department.slug)


async def cancel_orchestration(execution_id: str, department: str | None = None) -> bool:
    """Ask the run (or one department of it) to stop; False if it had already finished."""
    filters: dict[str, Any] = {"root__execution_id": execution_id}
    if department:
        filters.update(kind=Execution.Kind.DEPARTMENT, department__slug=department)
    else:
        filters.update(kind=Execution.Kind.ORCHESTRATION)
    updated = (
        await Execution.objects.filter(**filters)
        .exclude(status__in=Execution.FINISHED)
        .aupdate(cancel_requested=True)
    )
    if not updated:
        return False
    # Running on this event loop: no need to wait for the watcher. Anywhere else (a
    # worker, another thread's loop) the watcher acts on the flag just written.
    task = RUNNING.get(execution_id)
    if task is None or task.get_loop() is not asyncio.get_running_loop():
        return True
    orchestrator = ORCHESTRATORS.get(execution_id)
    if department and orchestrator is not None:
        await orchestrator.cancel_department(department)
    elif not department:
        task.cancel()
    return True
