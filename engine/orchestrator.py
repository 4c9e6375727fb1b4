"""The master orchestrator (spec 3.1): context, analysis, a plan fitted to the budget,
departments in parallel, validation, brain storage, aggregation into the
ExecuteResponse of spec 11.1.

How a run ends is in `stopReason`: completed, budget_exhausted, cancelled, failed or
loop_detected (see docs/architecture.md, "How a run ends"). Only a run that produced
nothing fails; what the budget cut is listed in `omitted`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine import events, jsontext
from engine.budgets import BudgetLedger
from engine.complexity import Complexity, assess_complexity, tier_for_score
from engine.concurrency import run_all
from engine.department import DepartmentRun, DepartmentTeam
from engine.errors import AladdinError, ErrorType
from engine.planning import Assignment, Estimator, FittedPlan, Room, fit_plan
from engine.ports import AgentSpec, EventSink, GraphStore, RunFinish, RunRecorder
from engine.quality import Decision, Level, decide
from engine.resume import Checkpoints
from engine.runtime import AgentRunner, AgentTask
from engine.schemas import VALIDATION_SCHEMA, plan_schema
from engine.shared import Shared, Totals

DEPARTMENT_ESTIMATE_MS = 5000
RECOMMENDATION = {
    Decision.EXEMPLARY: "ingest",
    Decision.ACCEPT: "ingest",
    Decision.ACCEPT_WITH_REVISION: "modify",
    Decision.RETRY: "modify",
    Decision.REJECT: "discard",
}


@dataclass(frozen=True)
class Team:
    orchestrator: AgentSpec
    departments: tuple[DepartmentTeam, ...]

    def department(self, slug: str) -> DepartmentTeam | None:
        return next((d for d in self.departments if d.slug == slug), None)


@dataclass(frozen=True)
class OrchestrationSettings:
    relevance_threshold: float = 0.5
    max_parallel_departments: int = 6
    max_parallel_specialists: int = 5


@dataclass
class OrchestrationRequest:
    root_id: str
    prompt: str
    project_id: int | None
    project_uid: str = ""
    quality_threshold: float | None = None
    # False when results are placeholders (the demo model): canon must stay real.
    store_results: bool = True
    # Resumed or retried: reuse every run an earlier attempt of this root finished.
    resume: bool = False
    # The project's choices: stop in `paused` at the budget instead of finishing short;
    # end in `awaiting_approval` instead of storing results in the brain.
    pause_at_budget: bool = False
    hold_for_approval: bool = False


@dataclass
class _Plan:
    complexity: Complexity
    assignments: list[tuple[DepartmentTeam, float, str]] = field(default_factory=list)
    intent: str = ""


class Orchestrator:
    def __init__(
        self,
        runner: AgentRunner,
        recorder: RunRecorder,
        sink: EventSink,
        graph: GraphStore,
        settings: OrchestrationSettings | None = None,
    ) -> None:
        self.runner, self.recorder, self.sink, self.graph = runner, recorder, sink, graph
        self.settings = settings or OrchestrationSettings()
        self.department_tasks: dict[str, asyncio.Task[dict[str, Any]]] = {}
        self._cancelled_departments: set[str] = set()

    async def run(
        self, request: OrchestrationRequest, team: Team, ledger: BudgetLedger
    ) -> dict[str, Any]:
        """Runs to the end and returns the ExecuteResponse; the root row records it all,
        including failure (status failed, with the reason) and cancellation."""
        started = time.monotonic()
        root = request.root_id
        await self.recorder.mark_running(root)
        shared: Shared | None = None
        try:
            shared = await self._prepare(request, ledger)
            plan = await self._plan(request, team, shared)
            await self._emit(
                events.orchestration_start(
                    root, request.project_uid, request.prompt, _complexity_label(plan.complexity)
                )
            )
            fitted = await self._fit(plan, team, shared)
            reports = await self._departments(fitted.kept, shared)
            if request.pause_at_budget and shared.budget_stop is not None:
                return await self._pause(request, shared, reports, started)
            response = await self._conclude(request, team, shared, reports, started)
        except asyncio.CancelledError:
            await asyncio.shield(
                self._fail(
                    request,
                    ledger,
                    started,
                    shared,
                    AladdinError(ErrorType.CANCELLED, "The orchestration was cancelled."),
                    "cancelled",
                )
            )
            raise
        except AladdinError as error:
            return await self._fail(request, ledger, started, shared, error, "failed")
        return response

    async def _pause(
        self,
        request: OrchestrationRequest,
        shared: Shared,
        reports: list[dict[str, Any]],
        started: float,
    ) -> dict[str, Any]:
        """The project pauses at its budget: nothing is concluded, every finished run is
        a checkpoint, and the run goes on from there when resumed with more budget."""
        metrics = self._metrics(shared, started)
        response = {
            "executionId": request.root_id,
            "status": "paused",
            "stopReason": "budget_paused",
            "omitted": shared.omitted,
            "departmentReports": reports,
            "budget": str(shared.budget_stop),
            "metrics": metrics,
        }
        await self._finish_root(request.root_id, "paused", response, shared)
        await self._emit(
            events.orchestration_paused(
                request.root_id, "budget_paused", str(shared.budget_stop), metrics
            )
        )
        return response

    async def fail_early(
        self, request: OrchestrationRequest, error: AladdinError
    ) -> dict[str, Any]:
        """Record a run that could not start (no team, bad budget settings)."""
        await self.recorder.mark_running(request.root_id)
        return await self._fail(request, BudgetLedger(), time.monotonic(), None, error, "failed")

    async def cancel_department(self, slug: str) -> bool:
        task = self.department_tasks.get(slug)
        if task is None or task.done():
            return False
        self._cancelled_departments.add(slug)
        task.cancel()
        return True

    async def _cancellable(self, work: Any, slug: str) -> dict[str, Any]:
        """A department cancelled on its own ends as a cancelled report and the others
        go on; cancelling the whole orchestration still propagates."""
        try:
            result: dict[str, Any] = await work
            return result
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if slug not in self._cancelled_departments or task is None:
                raise
            task.uncancel()
            return {
                "department": slug,
                "status": "cancelled",
                "score": None,
                "scores": {},
                "relevance": 0.0,
                "issues": [],
                "entities": [],
                "report": None,
                "specialists": [],
                "error": {"type": "cancelled", "message": f"{slug} was cancelled."},
            }

    async def _emit(self, event: events.Event) -> None:
        await self.sink.emit(
            self.root_id_of(event), event.type, event.payload, source_id=event.source_id
        )

    @staticmethod
    def root_id_of(event: events.Event) -> str:
        return str(event.payload["executionId"])

    async def _prepare(self, request: OrchestrationRequest, ledger: BudgetLedger) -> Shared:
        context = (
            await self.graph.relevant_context(request.project_id, request.prompt)
            if request.project_id
            else {}
        )
        complexity = assess_complexity(request.prompt, context)
        shared = Shared(
            root_id=request.root_id,
            project_id=request.project_id,
            prompt=request.prompt,
            context=context,
            tier=tier_for_score(complexity.score),
            runner=self.runner,
            recorder=self.recorder,
            sink=self.sink,
            graph=self.graph,
            ledger=ledger,
            max_parallel_specialists=self.settings.max_parallel_specialists,
            quality_threshold=request.quality_threshold,
        )
        if request.resume:
            shared.checkpoints = Checkpoints.of(await self.recorder.checkpoints(request.root_id))
        return shared

    async def _plan(self, request: OrchestrationRequest, team: Team, shared: Shared) -> _Plan:
        complexity = assess_complexity(request.prompt, shared.context)
        slugs = [d.slug for d in team.departments]
        if not slugs:
            raise AladdinError(
                ErrorType.VALIDATION_ERROR,
                "No active departments with a head: set them up in the admin.",
            )
        roster = "\n".join(f"- {d.slug}: {d.name}" for d in team.departments)
        prompt = (
            f"Producer's request:\n{request.prompt}\n\nDepartments:\n{roster}\n\n"
            "Score every department's relevance from 0 to 1 and give each relevant "
            "one a focused task."
        )
        result = await shared.run(
            AgentTask(
                spec=team.orchestrator,
                prompt=prompt,
                kind="plan",
                context=shared.context,
                output_schema=plan_schema(slugs),
                schema_name="execution_plan",
                tier=shared.tier,
                parent_id=request.root_id,
            )
        )
        if not result.ok:
            raise result.error or AladdinError(ErrorType.AGENT_FAILURE, "planning failed")
        plan = _Plan(complexity=complexity, intent=result.output.get("intent", ""))
        seen: set[str] = set()
        for item in sorted(result.output["departments"], key=lambda i: -i["relevance"]):
            department = team.department(item["department"])
            if department is None or item["department"] in seen:
                continue
            seen.add(item["department"])
            if item["relevance"] >= self.settings.relevance_threshold:
                plan.assignments.append((department, item["relevance"], item["task"]))
        if not plan.assignments:
            raise AladdinError(
                ErrorType.QUALITY_THRESHOLD_NOT_MET,
                "No department was relevant enough to this request (threshold "
                f"{self.settings.relevance_threshold}); rephrase it or lower "
                "ALADDIN_DEPARTMENT_RELEVANCE_THRESHOLD.",
            )
        return plan

    async def _fit(self, plan: _Plan, team: Team, shared: Shared) -> FittedPlan:
        """Cut the plan to what the run's budget and the project's day have left."""
        estimator = Estimator(getattr(self.runner.gateway, "costs", None))
        fitted = fit_plan(
            plan.assignments,
            Room.of(shared.ledger),
            estimator,
            validation=estimator.agent(team.orchestrator),
        )
        shared.omitted.extend(fitted.omitted)
        await self._emit(events.orchestration_plan(shared.root_id, fitted.as_event()))
        return fitted

    async def _departments(self, plan: list[Assignment], shared: Shared) -> list[dict[str, Any]]:
        for assignment in plan:
            await self._emit(
                events.department_assigned(
                    shared.root_id,
                    assignment.team.slug,
                    assignment.relevance,
                    int(assignment.team.average_ms) or DEPARTMENT_ESTIMATE_MS,
                )
            )
        runs = [
            self._cancellable(
                DepartmentRun(
                    a.team, a.task, a.relevance, shared, max_specialists=a.max_specialists
                ).run(),
                a.team.slug,
            )
            for a in plan
        ]
        return await run_all(
            runs,
            limit=self.settings.max_parallel_departments,
            names=[a.team.slug for a in plan],
            tasks=self.department_tasks,
        )

    async def _conclude(
        self,
        request: OrchestrationRequest,
        team: Team,
        shared: Shared,
        reports: list[dict[str, Any]],
        started: float,
    ) -> dict[str, Any]:
        done = [r for r in reports if r["status"] == "completed" and r.get("report")]
        if not done:
            if shared.budget_stop is not None:
                raise AladdinError(
                    ErrorType.BUDGET_EXCEEDED,
                    "The budget ran out before any department produced accepted work: "
                    f"{shared.budget_stop}",
                    details={"departmentReports": reports, **shared.budget_stop.details},
                )
            first = next((r.get("error") for r in reports if r.get("error")), None) or {}
            raise AladdinError(
                ErrorType(first.get("type", "agent_failure")),
                "No department produced accepted work. "
                + first.get("message", "See the department reports."),
                details={"departmentReports": reports},
            )
        overall, consistency, issues = await self._validate(request, team, shared, done)
        decision = decide(overall, consistency, Level.OVERALL)
        recommendation = RECOMMENDATION[decision]
        await self._emit(
            events.quality_validation(shared.root_id, overall, consistency, str(decision), issues)
        )
        held = _awaits_approval(request, recommendation)
        stored = 0 if held else await self._store(request, shared, done, recommendation)
        if held:
            note = "awaiting approval: nothing is stored until a person approves it"
            await self._emit(events.brain_storage(shared.root_id, True, 0, note))
        metrics = self._metrics(shared, started)
        status = "awaiting_approval" if held else "completed"
        response = {
            "executionId": request.root_id,
            "status": status,
            "stopReason": _stop_reason(shared),
            "omitted": shared.omitted,
            "departmentReports": reports,
            "overallQuality": round(overall, 2),
            "consistency": round(consistency, 2),
            "recommendation": recommendation,
            "decision": str(decision),
            "issues": issues,
            "entitiesStored": stored,
            "metrics": metrics,
        }
        await self._finish_root(
            request.root_id,
            status,
            response,
            shared,
            scores={"overall": overall, "consistency": consistency},
            decision=str(decision),
        )
        if held:
            waiting = _entities_held(reports)
            await self._emit(events.approval_requested(shared.root_id, waiting, recommendation))
        await self._emit(
            events.orchestration_complete(
                shared.root_id,
                {
                    "departments": [r["department"] for r in reports],
                    "overallQuality": events.fraction(overall),
                    "consistency": events.fraction(consistency),
                    "recommendation": recommendation,
                    "stopReason": response["stopReason"],
                    "omitted": len(shared.omitted),
                },
                metrics,
            )
        )
        return response

    async def _validate(
        self, request: OrchestrationRequest, team: Team, shared: Shared, done: list[dict[str, Any]]
    ) -> tuple[float, float, list[str]]:
        overall = sum((r["score"] or 0.0) * r["relevance"] for r in done) / sum(
            r["relevance"] for r in done
        )
        own = [r["scores"].get("consistency", 0.0) for r in done]
        if len(done) == 1:
            return overall, own[0], list(done[0]["issues"])[:10]
        summaries = jsontext.dumps(
            [{"department": r["department"], "report": r["report"]} for r in done],
            default=str,
        )
        if shared.budget_stop is not None:
            shared.omit("", team.orchestrator.agent_id, "cross-department validation")
            return overall, sum(own) / len(own), _skipped_validation(done)
        result = await shared.run(
            AgentTask(
                spec=team.orchestrator,
                kind="validation",
                output_schema=VALIDATION_SCHEMA,
                schema_name="cross_department_validation",
                tier=shared.tier,
                parent_id=request.root_id,
                context=shared.context,
                prompt=(
                    f"Request:\n{request.prompt}\n\nDepartment reports:\n{summaries}\n\n"
                    "Check these reports against each other and the project canon: score "
                    "cross-department consistency and completeness 0-100 and list conflicts."
                ),
            )
        )
        if result.status == "skipped":
            shared.omit("", team.orchestrator.agent_id, "cross-department validation")
            return overall, sum(own) / len(own), _skipped_validation(done)
        if not result.ok:
            raise result.error or AladdinError(ErrorType.AGENT_FAILURE, "validation failed")
        cross = float(result.output["consistencyScore"])
        consistency = min(cross, sum(own) / len(own))
        return overall, consistency, list(result.output["issues"])[:10]

    async def _store(
        self,
        request: OrchestrationRequest,
        shared: Shared,
        done: list[dict[str, Any]],
        recommendation: str,
    ) -> int:
        if recommendation != "ingest" or request.project_id is None or not request.store_results:
            note = _storage_skipped(request, recommendation)
            await self._emit(events.brain_storage(shared.root_id, True, 0, note))
            return 0
        entities = [entity for r in done for entity in r["entities"]]
        try:
            stored = await self.graph.store_results(request.project_id, request.root_id, entities)
        except Exception as exc:  # storage failing must not lose the run's results
            await self._emit(events.brain_storage(shared.root_id, False, 0, str(exc)))
            return 0
        await self._emit(events.brain_storage(shared.root_id, True, stored))
        return stored

    @staticmethod
    def _metrics(shared: Shared | None, started: float) -> dict[str, Any]:
        """Totals of the agent runs under the root; tokensUsed is what the budget saw."""
        if shared is not None:
            shared.checkpoints.settle(shared.totals)  # what earlier attempts paid
        totals = (shared.totals if shared else Totals()).as_dict()
        return {
            "totalTime": int((time.monotonic() - started) * 1000),
            "tokensUsed": totals["totalTokens"],
            "inputTokens": totals["inputTokens"],
            "outputTokens": totals["outputTokens"],
            "agentsSpawned": shared.agents_spawned if shared else 0,
            "agentRuns": totals["agentRuns"],
            "cost": totals["cost"],
        }

    async def _finish_root(
        self,
        root_id: str,
        status: str,
        output: dict[str, Any],
        shared: Shared | None,
        error: dict[str, Any] | None = None,
        *,
        scores: dict[str, float] | None = None,
        decision: str = "",
    ) -> None:
        """`scores` and `decision`: the cross-department validation's, for a run that
        got that far."""
        totals = shared.totals if shared else None
        await self.recorder.finish(
            root_id,
            RunFinish(
                status=status,
                output=output,
                error=error,
                input_tokens=totals.input_tokens if totals else 0,
                output_tokens=totals.output_tokens if totals else 0,
                cost=totals.cost if totals else 0.0,
                scores=scores or {},
                decision=decision,
            ),
        )

    async def _fail(
        self,
        request: OrchestrationRequest,
        ledger: BudgetLedger,
        started: float,
        shared: Shared | None,
        error: AladdinError,
        status: str,
    ) -> dict[str, Any]:
        reports = error.details.pop("departmentReports", None) or [
            task.result()
            for task in self.department_tasks.values()
            if task.done() and not task.cancelled() and task.exception() is None
        ]
        metrics = self._metrics(shared, started)
        response = {
            "executionId": request.root_id,
            "status": status,
            "stopReason": _failure_reason(status, error, shared),
            "omitted": shared.omitted if shared else [],
            "departmentReports": reports,
            "overallQuality": 0.0,
            "consistency": 0.0,
            "recommendation": "discard",
            "error": error.to_dict(),
            "metrics": metrics,
        }
        await self._finish_root(request.root_id, status, response, shared, error.to_dict())
        await self._emit(
            events.error(
                request.root_id,
                str(error),
                {
                    "type": str(error.type),
                    "status": status,
                    "stopReason": response["stopReason"],
                    "metrics": metrics,
                },
            )
        )
        return response


def _stop_reason(shared: Shared) -> str:
    """Why a run that produced something ended where it did."""
    if shared.budget_stop is not None:
        return "budget_exhausted"
    if shared.loops_stopped:
        return "loop_detected"
    return "completed"


def _failure_reason(status: str, error: AladdinError, shared: Shared | None) -> str:
    if status == "cancelled":
        return "cancelled"
    if (shared is not None and shared.budget_stop is not None) or (
        error.type is ErrorType.BUDGET_EXCEEDED
    ):
        return "budget_exhausted"
    if error.type is ErrorType.LOOP_DETECTED:
        return "loop_detected"
    return "failed"


def _entities_held(reports: list[dict[str, Any]]) -> int:
    """The entities a person is asked to approve (as executions/approval.py numbers them)."""
    return sum(
        len(report.get("entities") or [])
        for report in reports
        if report.get("status") == "completed" and report.get("report")
    )


def _awaits_approval(request: OrchestrationRequest, recommendation: str) -> bool:
    return (
        request.hold_for_approval
        and recommendation == "ingest"
        and request.project_id is not None
        and request.store_results
    )


def _skipped_validation(done: list[dict[str, Any]]) -> list[str]:
    own = [issue for r in done for issue in r["issues"]]
    return ["Cross-department validation was skipped: the run's budget was spent.", *own][:10]


def _storage_skipped(request: OrchestrationRequest, recommendation: str) -> str:
    if request.project_id is None:
        return "no project"
    if not request.store_results:
        return "placeholder output from the demo model is never stored in the brain"
    return f"recommendation is {recommendation}; nothing is stored until it is ingested"


def _complexity_label(complexity: Complexity) -> str:
    tier = tier_for_score(complexity.score)
    return {"simple": "simple", "standard": "medium", "premium": "complex"}[str(tier)]


__all__: Sequence[str] = ["OrchestrationRequest", "OrchestrationSettings", "Orchestrator", "Team"]
