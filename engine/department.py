"""One department's work: the head selects specialists, runs them in parallel,
reviews each output with the judge prompt (spec 6.3), retries or rejects weak
work (spec 6.2), and synthesises the department report."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from engine import events
from engine.budgets import BudgetLedger
from engine.complexity import ModelTier, stronger
from engine.concurrency import run_all
from engine.errors import AladdinError, ErrorType
from engine.ports import AgentSpec, EventSink, GraphStore, RunFinish, RunRecorder, RunStart
from engine.quality import Decision, JudgeVerdict, Level, decide, judge_prompt, judge_schema
from engine.runtime import AgentResult, AgentRunner, AgentTask
from engine.schemas import SPECIALIST_SCHEMA, SYNTHESIS_SCHEMA, selection_schema

# Below this overall score a retry also moves the specialist to a stronger model tier.
ESCALATE_BELOW = 70.0
SPECIALIST_ESTIMATE_MS = 2000
# Errors that end the whole orchestration, not just one specialist.
FATAL = frozenset({ErrorType.BUDGET_EXCEEDED})


@dataclass(frozen=True)
class DepartmentTeam:
    slug: str
    name: str
    head: AgentSpec
    specialists: tuple[AgentSpec, ...]
    average_ms: float = 0.0  # from past runs; 0 when there are none yet


@dataclass
class Shared:
    """What every department of one orchestration shares."""

    root_id: str
    project_id: int | None
    prompt: str
    context: dict[str, Any]
    tier: ModelTier
    runner: AgentRunner
    recorder: RunRecorder
    sink: EventSink
    graph: GraphStore
    ledger: BudgetLedger
    max_parallel_specialists: int = 5
    quality_threshold: float | None = None
    agents_spawned: int = 0

    async def emit(self, event: events.Event) -> None:
        await self.sink.emit(self.root_id, event.type, event.payload, source_id=event.source_id)

    async def canon_near(self, text: str) -> dict[str, Any]:
        """The project context nearest in meaning to `text` (the request's when none)."""
        if self.project_id is None:
            return self.context
        return await self.graph.relevant_context(self.project_id, text)

    async def run(self, task: AgentTask) -> AgentResult:
        task.root_id, task.project_id, task.ledgers = self.root_id, self.project_id, [self.ledger]
        result = await self.runner.run(task)
        if result.error is not None and result.error.type in FATAL:
            raise result.error
        return result


@dataclass
class SpecialistOutcome:
    agent_id: str
    task: str
    status: str  # completed | failed | cancelled
    decision: str = ""
    overall: float | None = None
    scores: dict[str, float] = field(default_factory=dict)
    output: Any = None
    attempts: int = 0
    execution_id: str = ""
    issues: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == "completed" and Decision(self.decision).is_accepted

    def summary(self) -> dict[str, Any]:
        return {
            "agentId": self.agent_id,
            "task": self.task,
            "status": self.status,
            "decision": self.decision,
            "overallScore": self.overall,
            "attempts": self.attempts,
            "executionId": self.execution_id,
            **({"error": self.error} if self.error else {}),
        }


class DepartmentRun:
    def __init__(self, team: DepartmentTeam, task: str, relevance: float, shared: Shared) -> None:
        self.team, self.task, self.relevance, self.shared = team, task, relevance, shared
        self.execution_id = ""
        self.started = time.monotonic()

    async def run(self) -> dict[str, Any]:
        shared = self.shared
        self.execution_id = await shared.recorder.start(
            RunStart(
                agent=self.team.head,
                kind="department",
                prompt=self.task,
                params={"relevance": self.relevance},
                parent_id=shared.root_id,
                root_id=shared.root_id,
                project_id=shared.project_id,
            )
        )
        await shared.recorder.mark_running(self.execution_id)
        await shared.emit(
            events.department_head_start(
                shared.root_id,
                self.team.slug,
                self.team.head.agent_id,
                self.task,
                self.execution_id,
            )
        )
        try:
            report = await self._work()
        except asyncio.CancelledError:
            await asyncio.shield(self._finish("cancelled", {"status": "cancelled"}))
            raise
        except AladdinError as error:
            if error.type in FATAL:
                await self._finish("failed", None, error.to_dict())
                raise
            # One department's failure is its own; the others go on.
            report = self._report([], "failed", error=error.to_dict())
            await self.shared.emit(
                events.department_complete(
                    shared.root_id, self.team.slug, [], "failed", self.execution_id
                )
            )
        status = "completed" if report["status"] == "completed" else "failed"
        await self._finish(status, report, report.get("error"))
        return report

    async def _finish(self, status: str, report: Any, error: dict[str, Any] | None = None) -> None:
        await self.shared.recorder.finish(
            self.execution_id, RunFinish(status=status, output=report, error=error)
        )

    async def _work(self) -> dict[str, Any]:
        selection = await self._select()
        if not selection:
            return self._report([], "completed", note="The head found no specialist work needed.")
        outcomes = await self._run_specialists(selection)
        accepted = [o for o in outcomes if o.accepted]
        scores, decision, issues, suggestions = self._review(outcomes, accepted)
        await self.shared.emit(
            events.department_review(
                self.shared.root_id,
                self.team.slug,
                self.team.head.agent_id,
                scores,
                decision,
                issues,
                suggestions,
                self.execution_id,
            )
        )
        synthesis = await self._synthesise(accepted) if accepted else None
        outputs = [o.output for o in accepted]
        status = "completed" if accepted else "failed"
        await self.shared.emit(
            events.department_complete(
                self.shared.root_id, self.team.slug, outputs, status, self.execution_id
            )
        )
        error = None if accepted else _no_output_error(outcomes)
        return self._report(
            outcomes,
            status,
            scores=scores,
            decision=decision,
            synthesis=synthesis,
            issues=issues,
            error=error,
        )

    async def _select(self) -> list[tuple[AgentSpec, str]]:
        by_id = {spec.agent_id: spec for spec in self.team.specialists}
        if not by_id:
            return []
        roster = "\n".join(
            f"- {spec.agent_id}: {spec.name} ({spec.specialization}) - {spec.description}"
            for spec in self.team.specialists
        )
        prompt = (
            f"Department task from the master orchestrator:\n{self.task}\n\n"
            f"Original request:\n{self.shared.prompt}\n\nYour specialists:\n{roster}\n\n"
            "Assess how relevant this is to your department, then choose only the "
            "specialists needed, each with a precise sub-task."
        )
        result = await self.shared.run(
            AgentTask(
                spec=self.team.head,
                prompt=prompt,
                kind="plan",
                context=self.shared.context,
                output_schema=selection_schema(list(by_id)),
                schema_name="specialist_selection",
                tier=self.shared.tier,
                parent_id=self.execution_id,
            )
        )
        if not result.ok:
            raise result.error or AladdinError(ErrorType.AGENT_FAILURE, "selection failed")
        chosen: dict[str, str] = {}
        for item in result.output["specialists"]:
            chosen.setdefault(item["agentId"], item["task"])
        return [(by_id[agent_id], task) for agent_id, task in chosen.items()]

    async def _run_specialists(
        self, selection: list[tuple[AgentSpec, str]]
    ) -> list[SpecialistOutcome]:
        return await run_all(
            [self._specialist(spec, task) for spec, task in selection],
            limit=self.shared.max_parallel_specialists,
        )

    async def _specialist(self, spec: AgentSpec, task: str) -> SpecialistOutcome:
        outcome = SpecialistOutcome(agent_id=spec.agent_id, task=task, status="failed")
        feedback: list[str] = []
        tier, reason = self.shared.tier, ""
        threshold = self._threshold(spec)
        while True:
            outcome.attempts += 1
            result = await self._attempt(spec, task, feedback, tier, outcome.attempts, reason)
            outcome.execution_id, outcome.status = result.execution_id, result.status
            if not result.ok:
                outcome.error = str(result.error) if result.error else result.status
                outcome.decision = str(Decision.REJECT)
                await self._complete_event(spec, outcome, result)
                return outcome
            outcome.output = result.output
            try:
                verdict = await self._judge(spec, task, result)
            except AladdinError as error:
                if error.type in FATAL:
                    raise
                # Work nobody could grade does not reach the report.
                outcome.status, outcome.decision = "failed", str(Decision.REJECT)
                outcome.error = f"review failed: {error}"
                await self.shared.recorder.record_review(
                    result.execution_id,
                    scores={},
                    decision=outcome.decision,
                    review_status="rejected",
                    reviewed_by_pk=self.team.head.pk,
                    notes=outcome.error,
                )
                await self._complete_event(spec, outcome, result)
                return outcome
            decision = self._decide(
                verdict, threshold, retries_left=outcome.attempts <= spec.max_retries
            )
            self._apply_verdict(outcome, verdict, decision)
            await self._record_review(result.execution_id, outcome, verdict)
            await self._complete_event(spec, outcome, result)
            if decision is not Decision.RETRY:
                return outcome
            feedback = [*verdict.issues, *verdict.suggestions] or [
                f"Your output scored {outcome.overall:.0f}/100; the bar is {threshold:.0f}."
            ]
            reason = f"score {outcome.overall:.0f} below threshold {threshold:.0f}: " + "; ".join(
                verdict.issues[:3]
            )
            if (outcome.overall or 0) < ESCALATE_BELOW:
                tier = stronger(tier)

    async def _attempt(
        self,
        spec: AgentSpec,
        task: str,
        feedback: list[str],
        tier: ModelTier,
        attempt: int,
        reason: str,
    ) -> AgentResult:
        shared = self.shared
        shared.agents_spawned += 1
        await shared.emit(
            events.specialist_spawned(
                shared.root_id,
                self.team.slug,
                spec.agent_id,
                task,
                int(spec.average_execution_ms) or SPECIALIST_ESTIMATE_MS,
                attempt,
            )
        )

        async def on_step(step: int, total: int, what: str) -> None:
            await shared.emit(
                events.specialist_executing(
                    shared.root_id, self.team.slug, spec.agent_id, step / max(total, 1), what
                )
            )

        return await shared.run(
            AgentTask(
                spec=spec,
                prompt=f"{task}\n\n(Request: {shared.prompt})",
                kind="specialist",
                context=shared.context,
                output_schema=SPECIALIST_SCHEMA,
                schema_name="specialist_output",
                feedback=feedback,
                tier=tier,
                parent_id=self.execution_id,
                on_step=on_step,
                retry_count=attempt - 1,
                retry_reason=reason,
            )
        )

    async def _judge(self, spec: AgentSpec, task: str, result: AgentResult) -> JudgeVerdict:
        department = self.team.slug
        output = json.dumps(result.output, ensure_ascii=False, indent=1)
        # Consistency is judged against the canon nearest to what was written.
        canon = await self.shared.canon_near(canon_query(result.output))
        prompt = judge_prompt(
            department, task, output, json.dumps(canon, ensure_ascii=False)[:12000]
        )
        review = await self.shared.run(
            AgentTask(
                spec=self.team.head,
                prompt=prompt,
                kind="review",
                output_schema=judge_schema(department),
                schema_name="quality_assessment",
                tier=self.shared.tier,
                parent_id=self.execution_id,
                params={"reviewing": result.execution_id, "specialist": spec.agent_id},
            )
        )
        if not review.ok:
            raise review.error or AladdinError(ErrorType.AGENT_FAILURE, "review failed")
        return JudgeVerdict.from_reply(review.output, department)

    def _threshold(self, spec: AgentSpec) -> float:
        if self.shared.quality_threshold is not None:
            return self.shared.quality_threshold
        return float(spec.quality_threshold)

    def _decide(self, verdict: JudgeVerdict, threshold: float, retries_left: bool) -> Decision:
        """Spec 6.2's matrix, plus the agent's own threshold: accepted work below it is
        retried while retries remain; out of retries, weak work is accepted with
        revision if it clears the minimum, else rejected."""
        decision = verdict.decision(self.team.slug, Level.SPECIALIST)
        below = verdict.overall(self.team.slug) < threshold
        if decision is Decision.RETRY or (below and decision.is_accepted):
            if retries_left:
                return Decision.RETRY
            if decision.is_accepted:
                return Decision.ACCEPT_WITH_REVISION
            return Decision.REJECT
        return decision

    def _apply_verdict(
        self, outcome: SpecialistOutcome, verdict: JudgeVerdict, decision: Decision
    ) -> None:
        outcome.scores = {**verdict.scores, "overall": verdict.overall(self.team.slug)}
        outcome.overall = outcome.scores["overall"]
        outcome.decision = str(decision)
        outcome.issues, outcome.suggestions = list(verdict.issues), list(verdict.suggestions)

    async def _record_review(
        self, execution_id: str, outcome: SpecialistOutcome, verdict: JudgeVerdict
    ) -> None:
        status = {
            Decision.REJECT: "rejected",
            Decision.RETRY: "revision-needed",
            Decision.ACCEPT_WITH_REVISION: "revision-needed",
        }.get(Decision(outcome.decision), "approved")
        notes = "\n".join(
            [
                verdict.reasoning,
                *(f"Issue: {i}" for i in verdict.issues),
                *(f"Suggestion: {s}" for s in verdict.suggestions),
            ]
        ).strip()
        await self.shared.recorder.record_review(
            execution_id,
            scores=outcome.scores,
            decision=outcome.decision,
            review_status=status,
            reviewed_by_pk=self.team.head.pk,
            notes=notes,
        )

    async def _complete_event(
        self, spec: AgentSpec, outcome: SpecialistOutcome, result: AgentResult
    ) -> None:
        await self.shared.emit(
            events.specialist_complete(
                self.shared.root_id,
                self.team.slug,
                spec.agent_id,
                outcome.output,
                outcome.overall,
                result.elapsed_ms,
                outcome.decision,
                result.execution_id,
            )
        )

    def _review(
        self, outcomes: list[SpecialistOutcome], accepted: list[SpecialistOutcome]
    ) -> tuple[dict[str, float], str, list[str], list[str]]:
        scored = accepted or [o for o in outcomes if o.overall is not None]
        if not scored:
            return {"overall": 0.0}, str(Decision.REJECT), ["No specialist produced output."], []
        names = ("quality", "relevance", "consistency", "completeness", "overall")
        scores = {
            name: round(sum(o.scores.get(name, 0.0) for o in scored) / len(scored), 2)
            for name in names
        }
        decision = decide(scores["overall"], scores["consistency"], Level.DEPARTMENT)
        issues = [i for o in outcomes for i in o.issues]
        suggestions = [s for o in outcomes for s in o.suggestions]
        return scores, str(decision), issues[:20], suggestions[:20]

    async def _synthesise(self, accepted: list[SpecialistOutcome]) -> dict[str, Any]:
        work = json.dumps(
            [{"specialist": o.agent_id, "task": o.task, "output": o.output} for o in accepted],
            ensure_ascii=False,
            indent=1,
        )
        prompt = (
            f"Department task:\n{self.task}\n\nAccepted specialist work:\n{work}\n\n"
            "Synthesise one coherent department report: resolve conflicts between "
            "specialists, list the entities created, and name open issues."
        )
        result = await self.shared.run(
            AgentTask(
                spec=self.team.head,
                prompt=prompt,
                kind="synthesis",
                output_schema=SYNTHESIS_SCHEMA,
                schema_name="department_report",
                tier=self.shared.tier,
                parent_id=self.execution_id,
            )
        )
        if not result.ok:
            raise result.error or AladdinError(ErrorType.AGENT_FAILURE, "synthesis failed")
        return dict(result.output)

    def _report(
        self,
        outcomes: list[SpecialistOutcome],
        status: str,
        *,
        scores: dict[str, float] | None = None,
        decision: str = "",
        synthesis: dict[str, Any] | None = None,
        issues: list[str] | None = None,
        note: str = "",
        error: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        scores = scores or {}
        return {
            "department": self.team.slug,
            "name": self.team.name,
            "headAgentId": self.team.head.agent_id,
            "executionId": self.execution_id,
            "status": status,
            "relevance": self.relevance,
            "task": self.task,
            "score": scores.get("overall"),
            "scores": scores,
            "decision": decision,
            "specialists": [o.summary() for o in outcomes],
            "report": synthesis,
            "entities": (synthesis or {}).get("entities", []),
            "issues": issues or [],
            "note": note,
            "executionTime": int((time.monotonic() - self.started) * 1000),
            **({"error": error} if error else {}),
        }


# Embedding time grows with text length; the gist of an output is in its first lines.
CANON_QUERY_CHARS = 300


def canon_query(output: Any) -> str:
    """What an output is about, for finding the canon it must agree with: its summary,
    the names of the entities it creates, then its content."""
    if not isinstance(output, dict):
        return str(output)[:CANON_QUERY_CHARS]
    names = [str(e.get("name", "")) for e in output.get("entities") or [] if isinstance(e, dict)]
    parts = [str(output.get("summary", "")), " ".join(names), str(output.get("content", ""))]
    return " ".join(p for p in parts if p)[:CANON_QUERY_CHARS]


def _no_output_error(outcomes: list[SpecialistOutcome]) -> dict[str, Any]:
    failed = [o for o in outcomes if o.status != "completed"]
    if failed:
        return {
            "type": "agent_failure",
            "message": f"Every specialist failed; first error: {failed[0].error}",
        }
    return {
        "type": "quality_threshold_not_met",
        "message": "Every specialist output was rejected by the department review.",
    }
