"""Write paths for orchestrations: start, run, cancel.

By default an orchestration runs as an asyncio task in the process that
started it. With a Celery broker configured it runs on a worker instead; a
listener per event loop polls the database for the cancel requests of all its
runs (executions/cancel_listener.py), so cancelling works from any process within a
second.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from agents.llm.client import is_demo, warm_up
from aladdin import audit
from brain.models import Project
from brain.preparation import backlog_within, brain_documents_ready
from brain.store import DjangoGraphStore
from engine.budgets import BudgetLedger
from engine.complexity import ModelTier
from engine.errors import AladdinError, ErrorType
from engine.orchestrator import (
    OrchestrationRequest,
    OrchestrationSettings,
    Orchestrator,
    Team,
)
from engine.per_loop import PerLoop
from engine.priority import PrioritySlots
from executions.cancel_listener import listener as cancel_listener
from executions.events import DjangoEventSink, WriteBehindSink, flush_writes
from executions.liveness import this_process
from executions.models import Conversation, Execution
from executions.recorder import DjangoRunRecorder, claim_run, end_run, locked_run_row
from executions.requests import RequestOptions
from executions.runners import build_runner, pipeline_llm
from executions.selectors import budget_ledger, orchestrator_agent, team_for

logger = logging.getLogger(__name__)
QUEUED_POLL_SECONDS = 1.0

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
    in_process: bool | None = None,
) -> Execution:
    """The root row, pending; the run itself is started by `launch` (or, `in_process`,
    by the caller). A run this process will run carries its marker from the start, so
    maintenance can tell a run queued here from one whose process is gone."""
    options = options or RequestOptions()
    if in_process is None:
        in_process = settings.CELERY_TASK_ALWAYS_EAGER
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
        worker=this_process() if in_process else "",
    )
    root.root = root
    root.save(update_fields=["root"])
    audit.record(
        "orchestration.start",
        "execution",
        root.execution_id,
        user_id=user_id,
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
        # A fresh context: started from a request, the task would otherwise inherit the
        # request's asgiref executors, which are gone once the response is sent.
        task = asyncio.get_running_loop().create_task(
            run_orchestration(execution_id), context=contextvars.Context()
        )
        RUNNING[execution_id] = task
        task.add_done_callback(lambda _: RUNNING.pop(execution_id, None))
    else:
        root = await Execution.objects.only("params").aget(execution_id=execution_id)
        priority = str(root.params.get("options", {}).get("priority") or "medium")
        await sync_to_async(enqueue)(execution_id, priority)


def enqueue(execution_id: str, priority: str = "medium") -> None:
    from executions.tasks import enqueue_orchestration

    enqueue_orchestration(execution_id, priority)


async def run_orchestration(execution_id: str) -> dict[str, Any]:
    """Run a pending orchestration to its end, at most once: a second call for the same
    run (a redelivered Celery task, a retry) finds it claimed or ended and does nothing.
    Runs wait for a slot of this process (ALADDIN_MAX_CONCURRENT_ORCHESTRATIONS),
    the most urgent first, and any failure to set up still ends the run."""
    root = await Execution.objects.select_related("project").aget(execution_id=execution_id)
    if root.status != Execution.Status.PENDING:
        return _not_run(root)
    if root.cancel_requested:  # cancelled while it waited on the broker
        error = AladdinError(ErrorType.CANCELLED, "The orchestration was cancelled.")
        await _despite_cancellation(end_run(execution_id, "cancelled", error.to_dict()))
        return _not_run(await Execution.objects.aget(execution_id=execution_id))
    priority = str(root.params.get("options", {}).get("priority") or "medium")
    try:
        async with _slot(execution_id, priority):
            if not await claim_run(execution_id, this_process()):
                return _not_run(await Execution.objects.aget(execution_id=execution_id))
            try:
                await warm_up()
                return await _run_claimed(root)
            except Exception as exc:  # a bug or a broken setup: end the run, then report
                await end_run(execution_id, "failed", _setup_error(exc))
                raise
    except asyncio.CancelledError:  # while queued; a started run has recorded it already
        error = AladdinError(ErrorType.CANCELLED, "The orchestration was cancelled.")
        await _despite_cancellation(end_run(execution_id, "cancelled", error.to_dict()))
        raise


async def run_with_documents(execution_id: str) -> dict[str, Any]:
    """run_orchestration, then wait for the brain documents it left preparing: for a
    caller whose event loop ends with the call (a Celery task, a command), which would
    otherwise stop them unfinished."""
    response = await run_orchestration(execution_id)
    await brain_documents_ready(execution_id)
    return response


async def _despite_cancellation(write: Coroutine[Any, Any, Any]) -> None:
    """Finish a short final write even if the task is cancelled meanwhile (the queued
    run's own poll and cancel_orchestration may both cancel it), then pass the
    cancellation on."""
    done = asyncio.ensure_future(write)
    cancelled = False
    while not done.done():
        try:
            await asyncio.shield(done)
        except asyncio.CancelledError:
            cancelled = True
    done.result()
    if cancelled:
        raise asyncio.CancelledError


def _not_run(root: Execution) -> dict[str, Any]:
    logger.info("Orchestration %s is %s: not run again.", root.execution_id, root.status)
    return {
        "executionId": str(root.execution_id),
        "status": root.status,
        "skipped": "This run was already claimed by another process or had ended.",
    }


def _setup_error(exc: Exception) -> dict[str, Any]:
    return AladdinError(
        ErrorType.UNKNOWN_ERROR,
        f"The orchestration could not run: {type(exc).__name__}: {exc}",
    ).to_dict()


_slots: PerLoop[PrioritySlots] = PerLoop(
    lambda: PrioritySlots(settings.ALADDIN_MAX_CONCURRENT_ORCHESTRATIONS)
)


def process_slots() -> PrioritySlots:
    """The orchestration slots of this process (of its event loop)."""
    return _slots.get()


@contextlib.asynccontextmanager
async def _slot(execution_id: str, priority: str) -> AsyncIterator[None]:
    """Wait for a slot; while queued, keep the pending row's heartbeat fresh and follow
    cancel requests written by any process."""
    slots = process_slots()
    acquiring = asyncio.ensure_future(_take_slot(slots, priority))
    watch = queued_runs()
    cancel_requested = watch.add(execution_id)
    try:
        await asyncio.wait({acquiring, cancel_requested}, return_when=asyncio.FIRST_COMPLETED)
        if not acquiring.done():  # a cancel request, written by any process
            raise asyncio.CancelledError
    except BaseException:
        watch.discard(execution_id)
        if acquiring.done() and not acquiring.cancelled():
            slots.release()
        else:
            acquiring.cancel()
        raise
    watch.discard(execution_id)
    try:
        yield
    finally:
        slots.release()


async def _take_slot(slots: PrioritySlots, priority: str) -> None:
    """A slot, then a documents backlog within ALADDIN_MAX_DOCUMENT_BACKLOG. Runs answer
    faster than their brain documents are made (one embedding thread); a new run holds
    its slot until the backlog is back within bounds, so under sustained load runs go
    at the pace their documents are made and the backlog's memory stays bounded."""
    await slots.acquire(priority)
    try:
        await backlog_within(settings.ALADDIN_MAX_DOCUMENT_BACKLOG)
    except BaseException:
        slots.release()
        raise


class QueuedRuns:
    """The runs of one event loop waiting for a slot. However many wait, one poll a
    period keeps all their rows' heartbeats fresh and reads which of them any process
    asked to cancel: two statements, where one poll per run made two each."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[None]] = {}
        self._poll: asyncio.Task[None] | None = None

    def add(self, execution_id: str) -> asyncio.Future[None]:
        """A future that is done when a cancel request for the run is seen."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[execution_id] = future
        if self._poll is None or self._poll.done():
            self._poll = asyncio.create_task(self._beat_while_waiting())
        return future

    def discard(self, execution_id: str) -> None:
        future = self.waiting.pop(execution_id, None)
        if future is not None and not future.done():
            future.cancel()

    async def _beat_while_waiting(self) -> None:
        while self.waiting:
            await asyncio.sleep(QUEUED_POLL_SECONDS)
            try:
                cancelled = await sync_to_async(beat_queued)(sorted(self.waiting))
            except Exception:  # a failed poll is retried next period; the runs wait on
                logger.exception("could not poll the queued runs")
                continue
            for execution_id in cancelled:
                future = self.waiting.get(execution_id)
                if future is not None and not future.done():
                    future.set_result(None)


def beat_queued(execution_ids: list[str]) -> set[str]:
    """Touch the rows of queued runs; return those a cancel was requested for."""
    cancelled: set[str] = set()
    for start in range(0, len(execution_ids), 500):  # bounded IN lists
        rows = Execution.objects.filter(execution_id__in=execution_ids[start : start + 500])
        rows.update(updated_at=timezone.now())
        found = rows.filter(cancel_requested=True).values_list("execution_id", flat=True)
        cancelled |= {str(execution_id) for execution_id in found}
    return cancelled


_queued: PerLoop[QueuedRuns] = PerLoop(QueuedRuns)


def queued_runs() -> QueuedRuns:
    return _queued.get()


async def _run_claimed(root: Execution) -> dict[str, Any]:
    execution_id = str(root.execution_id)
    options = root.params.get("options", {})
    project = root.project
    if project is None:
        raise ValueError(f"Orchestration {execution_id} has no project.")
    recorder = DjangoRunRecorder(root.requested_by_id)
    sink = WriteBehindSink(DjangoEventSink(recorder.rows.pks))  # names runs without a SELECT
    # Ingested results go through the brain pipeline with the project's own model, once
    # the run has ended: the report and rows are its result, documents follow.
    store = DjangoGraphStore(
        llm=pipeline_llm(project), run_row=locked_run_row, documents_later=True
    )
    orchestrator = Orchestrator(
        # One recorder per orchestration: it caches ids and timings of its runs.
        build_runner(root.requested_by_id, recorder=recorder, api_key=project.llm_api_key or None),
        recorder,
        sink,
        store,
        orchestration_settings(),
    )
    ORCHESTRATORS[execution_id] = orchestrator
    request = OrchestrationRequest(
        root_id=execution_id,
        prompt=root.prompt,
        project_id=project.pk,
        project_uid=str(project.uid),
        quality_threshold=options.get("qualityThreshold"),
        resume=bool(root.params.get("resume")),  # reopened by executions.resume
        pause_at_budget=project.pause_at_budget,
        hold_for_approval=project.requires_approval,
    )
    current = asyncio.current_task()
    cancel_listener().watch(execution_id, orchestrator, current)
    ledger: BudgetLedger | None = None
    response: dict[str, Any] | None = None
    try:
        team = await sync_to_async(team_for)(project)
        demo = uses_demo_model(team)
        request.store_results = not demo
        ledger = await sync_to_async(budget_ledger)(
            project, options.get("maxTokens"), run_id=execution_id, demo=demo
        )
        response = await orchestrator.run(request, team, ledger)
    except AladdinError as error:  # the team or budget could not even be set up
        response = await orchestrator.fail_early(request, error)
    except Exception as exc:  # a broken setup must not leave the root running
        failure = AladdinError(ErrorType.UNKNOWN_ERROR, _setup_error(exc)["message"])
        response = await orchestrator.fail_early(request, failure)
    except asyncio.CancelledError:
        await asyncio.shield(_audit_end(root, "cancelled"))
        raise
    finally:
        cancel_listener().forget(execution_id)
        ORCHESTRATORS.pop(execution_id, None)
        try:
            await _close_run(root, ledger, recorder, sink, response)
        finally:
            # Last, so the run's own final writes do not queue behind its documents'
            # work on the database thread; in a finally, so nothing keeps them from
            # starting.
            store.start_documents()
    return response


async def _close_run(
    root: Execution,
    ledger: BudgetLedger | None,
    recorder: DjangoRunRecorder,
    sink: WriteBehindSink,
    response: dict[str, Any] | None,
) -> None:
    """The run's last writes: its budget leases (spending recorded, unused room given
    back), every run row and event still queued (the recorder and the sink write
    behind; this also catches a root that never finished), and the audit of how it
    ended (a cancelled run has been audited already: it has no response)."""
    if ledger is not None:
        await asyncio.shield(ledger.aclose())
    await asyncio.shield(recorder.flush_metrics(closing=True))
    await asyncio.shield(sink.settled())
    if response is not None:
        await _audit_end(root, str(response.get("status", "")))


async def _audit_end(root: Execution, status: str) -> None:
    await sync_to_async(audit.record)(
        "orchestration.end",
        "execution",
        root.execution_id,
        user_id=root.requested_by_id,
        changes={"status": status},
        success=status == Execution.Status.COMPLETED,
    )


def uses_demo_model(team: Team) -> bool:
    specs = [team.orchestrator]
    for department in team.departments:
        specs += [department.head, *department.specialists]
    return any(is_demo(spec.models.for_tier(tier)) for spec in specs for tier in ModelTier)


async def cancel_orchestration(execution_id: str, department: str | None = None) -> bool:
    """Ask the run (or one department of it) to stop; False if it had already finished."""
    await flush_writes()  # a department started on this loop has its row
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
    await sync_to_async(audit.record)(
        "orchestration.cancel",
        "execution",
        execution_id,
        changes={"department": department or None},
        success=bool(updated),
        error_message="" if updated else "The run had already finished.",
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
