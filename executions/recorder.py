"""DjangoRunRecorder: every agent run as an Execution row (implements RunRecorder).

Rows are written as the run goes (pending -> running -> finished), so a crash
or a cancellation leaves a truthful record; written behind, in batches, by the
event loop's writer (executions.run_writes). Every status change is a conditional
UPDATE: a run ends exactly once, and a late writer (a run that kept going after
cleanup marked it failed, a redelivered task) never overwrites its final status.
Metrics of agents and departments are folded in memory for the runs of an
orchestration and written once when it ends (executions.run_metrics: one UPDATE
per row touched, F-expressions, safe under concurrent orchestrations); a direct
agent run writes its metrics when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from asgiref.sync import sync_to_async
from django.utils import timezone

from engine.ports import Checkpoint, RunFinish, RunStart, ToolCallRecord
from engine.quality import DIMENSIONS
from engine.resume import KEY_PARAM
from executions.events import flush_writes, queue_run_write
from executions.fixed_sql import unsaved_row
from executions.liveness import this_process
from executions.models import Execution, ToolCall
from executions.run_metrics import MetricsTally
from executions.run_writes import RunOp, RunRows

SCORE_FIELDS = (*DIMENSIONS, "overall")
CONTAINER_KINDS = (Execution.Kind.ORCHESTRATION, Execution.Kind.DEPARTMENT)
UNFINISHED = (Execution.Status.PENDING, Execution.Status.RUNNING, Execution.Status.RETRY)
HEARTBEAT_SECONDS = 5.0  # well inside ALADDIN_HEARTBEAT_TIMEOUT_SECONDS (at least 10)
logger = logging.getLogger(__name__)


def score_fields(scores: dict[str, float]) -> dict[str, Any]:
    """The row's `<name>_score` columns for the scores given (spec 6.1's dimensions
    and the overall), 0-100."""
    return {f"{name}_score": scores[name] for name in SCORE_FIELDS if name in scores}


class DjangoRunRecorder:
    """Writes behind: start/finish/record_review queue their row writes on the event
    loop's writer (executions.events, executions.run_writes) and return; `flush()`
    waits until they are committed. Reads of this recorder's rows flush first."""

    def __init__(self, requested_by_id: int | None = None) -> None:
        self.requested_by_id = requested_by_id
        self.rows = RunRows()
        self._started: dict[str, Any] = {}
        # What start() knew about each run, so finishing it needs no re-read.
        self._facts: dict[str, tuple[int | None, str, int | None]] = {}
        self._beats: dict[str, asyncio.Task[None]] = {}
        # Metrics of runs under an orchestration wait here until it ends.
        self._tally = MetricsTally()
        self._folded: set[str] = set()
        self._roots: set[str] = set()
        self._roots_ended = False

    async def start(self, run: RunStart) -> str:
        spec = run.agent
        now = timezone.now()
        key = str(uuid.uuid4())
        # A direct agent run has no orchestration keeping a heartbeat for it.
        standalone = run.parent_id is None and run.kind != Execution.Kind.ORCHESTRATION
        history = [{"status": "pending", "at": now.isoformat()}]
        running: dict[str, Any] = {}
        if run.running:
            history.append({"status": "running", "at": now.isoformat()})
            running = {"status": Execution.Status.RUNNING, "started_at": now}
            self._started[key] = now
        row = unsaved_row(
            Execution,
            execution_id=key,
            kind=run.kind,
            agent_id=spec.pk if spec else None,
            agent_version=spec.version if spec else "",
            project_id=run.project_id,
            requested_by_id=self.requested_by_id,
            prompt=run.prompt,
            params=run.params,
            status_history=history,
            worker=this_process() if standalone else "",
            **(running or {"status": Execution.Status.PENDING}),
        )
        queue_run_write(
            RunOp(
                key,
                self.rows,
                row=row,
                parent_id=run.parent_id,
                root_id=run.root_id,
                department=spec.department if spec else None,
                after=self._started_row,
            )
        )
        if standalone:
            self._beats[key] = asyncio.create_task(_heartbeat(key, self.rows))
        if run.root_id is not None:
            self._folded.add(key)
            self._roots.add(run.root_id)
        return key

    def _started_row(self, op: RunOp) -> None:
        if op.moved and op.row is not None:
            self._facts[op.execution_id] = (op.row.agent_id, op.row.kind, op.row.department_id)

    def _facts_of(self, op: RunOp) -> tuple[int | None, str, int | None] | None:
        """(agent, kind, department) of the op's run: as started here, or as read back
        with its row id by the writer (a run this recorder did not start)."""
        return self._facts.get(op.execution_id) or op.facts

    async def flush(self) -> None:
        """Until every write queued so far (this loop's, this recorder's included) is
        committed, and the after-write bookkeeping (metrics tallies) is done."""
        await flush_writes()

    async def pk(self, execution_id: str | None) -> int | None:
        if execution_id is None:
            return None
        return await self.require_pk(execution_id)

    async def require_pk(self, execution_id: str) -> int:
        await self.flush()
        if execution_id not in self.rows.pks:
            row = await Execution.objects.only("pk").aget(execution_id=execution_id)
            self.rows.pks[execution_id] = row.pk
        return self.rows.pks[execution_id]

    async def mark_running(self, execution_id: str) -> None:
        """pending -> running; a run already claimed (the root, by its service) or
        already ended (by cleanup, by a cancel) is left as it is."""
        now = timezone.now()
        self._started[execution_id] = now
        self._transition(
            execution_id, (Execution.Status.PENDING,), "running", now, {"started_at": now}
        )

    def _transition(
        self,
        execution_id: str,
        allowed: tuple[str, ...],
        status: str,
        now: Any,
        fields: dict[str, Any],
        after: Callable[[RunOp], None] | None = None,
    ) -> None:
        """Queue one conditional UPDATE: the row moves to `status` only from an
        `allowed` status, so no later writer can overwrite a final one. `after` hears
        whether it moved, once committed."""
        queue_run_write(
            RunOp(
                execution_id,
                self.rows,
                status=status,
                allowed=allowed,
                at=now.isoformat(),
                fields={"updated_at": now, **fields},
                after=after,
            )
        )

    async def finish(self, execution_id: str, result: RunFinish) -> None:
        now = timezone.now()
        started = self._started.get(execution_id, now)
        elapsed_ms = int((now - started).total_seconds() * 1000)
        fields: dict[str, Any] = {
            "completed_at": now,
            "execution_time": elapsed_ms,
            "output": result.output,
            "raw_output": result.raw_output,
            "run_state": {"messages": result.messages},
            "model": result.model,
            "input_tokens": result.input_tokens,
            "output_tokens": result.output_tokens,
            "total_tokens": result.input_tokens + result.output_tokens,
            "cost": None if result.cost is None else Decimal(str(round(result.cost, 6))),
            "error": result.error,
            "error_type": (result.error or {}).get("type", ""),
            "retry_count": result.retry_count,
            "retry_reason": result.retry_reason[:5000],
            **score_fields(result.scores),
        }
        if result.decision:  # a container's own verdict; an agent's comes with its review
            fields["decision"] = result.decision
        beat = self._beats.pop(execution_id, None)
        if beat is not None:
            beat.cancel()

        def ended(op: RunOp) -> None:
            if op.moved:
                self._count_run(op, result, elapsed_ms, now)
            elif op.error is None and execution_id not in self.rows.lost:
                logger.warning(
                    "Run %s had already ended; its late %s result is not recorded.",
                    execution_id,
                    result.status,
                )

        self._transition(execution_id, UNFINISHED, result.status, now, fields, ended)
        if execution_id in self._roots:  # the orchestration ended (or paused)
            await self.flush_metrics(closing=True)
        elif self._roots_ended or execution_id not in self._folded:
            await self.flush_metrics()

    def _count_run(self, op: RunOp, result: RunFinish, elapsed_ms: int, now: Any) -> None:
        facts = self._facts_of(op)
        if facts is None:
            return
        agent_pk, kind, department_pk = facts
        # A container row carries the sums of its children (their tokens are already
        # the agents'), and a skipped run never ran: neither is an agent's run.
        ran = result.status != Execution.Status.SKIPPED
        ok = result.status == Execution.Status.COMPLETED
        if agent_pk is not None and ran and kind not in CONTAINER_KINDS:
            tokens = result.input_tokens + result.output_tokens
            self._tally.agent_run(agent_pk, elapsed_ms, ok, tokens, now)
        if kind == Execution.Kind.DEPARTMENT and department_pk is not None and ran:
            self._tally.department_run(department_pk, elapsed_ms, ok)

    async def flush_metrics(self, *, closing: bool = False) -> None:
        """Write the folded metrics (one UPDATE per agent and department touched),
        after the runs' writes they count. `closing`: the orchestration ended, so a
        run finishing later writes its own."""
        self._roots_ended = self._roots_ended or closing
        await self.flush()
        tally, self._tally = self._tally, MetricsTally()
        if tally:
            await sync_to_async(tally.write)()

    async def record_review(
        self,
        execution_id: str,
        *,
        scores: dict[str, float],
        decision: str,
        review_status: str,
        reviewed_by_pk: int | None,
        notes: str,
    ) -> None:
        fields = score_fields(scores)
        fields.update(
            decision=decision,
            review_status=review_status,
            reviewed_by_id=reviewed_by_pk,
            reviewed_at=timezone.now(),
            review_notes=notes[:10000],
        )

        def reviewed(op: RunOp) -> None:
            facts = self._facts_of(op)
            if op.moved and facts is not None and facts[0] is not None and "overall" in scores:
                self._tally.agent_review(facts[0], scores["overall"])

        queue_run_write(RunOp(execution_id, self.rows, fields=fields, after=reviewed))
        if self._roots_ended or execution_id not in self._folded:
            await self.flush_metrics()

    async def record_tool_call(self, call: ToolCallRecord) -> None:
        """One tool call of a run, good or bad, as a ToolCall row."""
        await ToolCall.objects.acreate(
            execution_id=await self.require_pk(call.execution_id),
            tool_id=call.tool_pk,
            tool_name=call.name[:64],
            call_id=call.call_id[:100],
            input=call.arguments,
            output=call.output,
            error=call.error,
            success=not call.error,
            started_at=call.started_at,
            duration_ms=call.duration_ms,
        )

    async def checkpoints(self, root_id: str) -> list[Checkpoint]:
        """Runs under the root started with a checkpoint key (see engine.resume)."""
        await self.flush()
        rows = (
            Execution.objects.filter(root__execution_id=root_id, params__has_key=KEY_PARAM)
            .exclude(kind=Execution.Kind.ORCHESTRATION)
            .order_by("pk")
        )
        found = []
        async for row in rows:
            key = str(row.execution_id)
            self.rows.pks[key] = row.pk
            self._facts[key] = (row.agent_id, row.kind, row.department_id)
            found.append(
                Checkpoint(
                    execution_id=key,
                    key=str(row.params[KEY_PARAM]),
                    kind=row.kind,
                    status=row.status,
                    output=row.output,
                    raw_output=row.raw_output,
                    model=row.model,
                    input_tokens=row.input_tokens,
                    output_tokens=row.output_tokens,
                    cost=None if row.cost is None else float(row.cost),
                )
            )
        return found


async def _heartbeat(execution_id: str, rows: RunRows) -> None:
    """Touch the row while the run is alive, so maintenance can tell it from one whose
    process stopped (see executions.maintenance)."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        queue_run_write(
            RunOp(
                execution_id,
                rows,
                allowed=UNFINISHED,
                fields={"updated_at": timezone.now()},
            )
        )


async def _move(execution_id: str, allowed: tuple[str, ...], status: str, **fields: Any) -> bool:
    now = timezone.now()
    rows = Execution.objects.filter(execution_id=execution_id, status__in=allowed)
    row = await rows.only("status_history").afirst()
    if row is None:
        return False
    history = [*row.status_history, {"status": status, "at": now.isoformat()}]
    moved = await rows.aupdate(status=status, status_history=history, updated_at=now, **fields)
    return bool(moved)


async def claim_run(execution_id: str, worker: str) -> bool:
    """pending -> running for the process `worker` (host:pid) that will run it. False
    when another process claimed it first or it already ended: then do nothing."""
    now = timezone.now()
    return await _move(
        execution_id, (Execution.Status.PENDING,), "running", started_at=now, worker=worker
    )


async def end_run(execution_id: str, status: str, error: dict[str, Any]) -> bool:
    """An unfinished run -> a final status, for runs that end outside the engine (the
    setup failed, it was cancelled while queued). False if it had already ended."""
    return await _move(
        execution_id,
        UNFINISHED,
        status,
        completed_at=timezone.now(),
        error=error,
        error_type=error.get("type", ""),
    )


def locked_run_row(execution_id: str) -> Execution | None:
    """The run's row under a row lock (inside the caller's transaction); None for an id
    that is not a run (a CLI import stores under a made-up id)."""
    try:
        run_id = uuid.UUID(str(execution_id))
    except ValueError:
        return None
    return Execution.objects.select_for_update().filter(execution_id=run_id).first()
