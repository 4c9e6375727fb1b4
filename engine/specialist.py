"""One specialist's work inside a department: its attempts, the head's review of each
(spec 6.3), retries with feedback and a stronger tier (spec 6.2), and what happens
when the run's budget runs out between attempts (the last verdict stands)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine import events, jsontext
from engine.complexity import ModelTier, stronger
from engine.errors import AladdinError, ErrorType
from engine.ports import AgentSpec
from engine.quality import Decision, JudgeVerdict, Level, judge_prompt, judge_schema
from engine.runtime import AgentResult, AgentTask
from engine.schemas import SPECIALIST_SCHEMA
from engine.shared import Shared

if TYPE_CHECKING:
    from engine.department import DepartmentTeam

# Below this overall score a retry also moves the specialist to a stronger model tier.
ESCALATE_BELOW = 70.0
SPECIALIST_ESTIMATE_MS = 2000


@dataclass
class SpecialistOutcome:
    agent_id: str
    task: str
    status: str  # completed | failed | cancelled | skipped
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


class SpecialistWork:
    """The specialist half of a DepartmentRun (which provides these attributes)."""

    team: DepartmentTeam
    shared: Shared
    execution_id: str

    async def _run(self, task: AgentTask) -> AgentResult:
        raise NotImplementedError

    async def _specialist(self, spec: AgentSpec, task: str) -> SpecialistOutcome:
        outcome = SpecialistOutcome(agent_id=spec.agent_id, task=task, status="failed")
        feedback: list[str] = []
        tier, reason = self.shared.tier, ""
        threshold = self._threshold(spec)
        previous: JudgeVerdict | None = None
        while True:
            if previous is not None and self.shared.budget_stop is not None:
                # No budget for another attempt: the last verdict stands, without retries.
                return await self._settle(spec, outcome, previous, threshold)
            outcome.attempts += 1
            result = await self._attempt(spec, task, feedback, tier, outcome.attempts, reason)
            if result.status == "skipped" and previous is not None:
                outcome.attempts -= 1
                return await self._settle(spec, outcome, previous, threshold)
            outcome.execution_id, outcome.status = result.execution_id, result.status
            if not result.ok:
                return await self._unsuccessful(spec, outcome, result)
            outcome.output = result.output
            verdict = await self._graded(spec, task, outcome, result)
            if verdict is None:
                return outcome
            decision = self._decide(
                verdict, threshold, retries_left=outcome.attempts <= spec.max_retries
            )
            self._apply_verdict(outcome, verdict, decision)
            await self._record_review(result.execution_id, outcome, verdict)
            await self._complete_event(spec, outcome, result)
            if decision is not Decision.RETRY:
                return outcome
            previous = verdict
            feedback = [*verdict.issues, *verdict.suggestions] or [
                f"Your output scored {outcome.overall:.0f}/100; the bar is {threshold:.0f}."
            ]
            reason = f"score {outcome.overall:.0f} below threshold {threshold:.0f}: " + "; ".join(
                verdict.issues[:3]
            )
            if (outcome.overall or 0) < ESCALATE_BELOW:
                tier = stronger(tier)

    async def _settle(
        self, spec: AgentSpec, outcome: SpecialistOutcome, verdict: JudgeVerdict, threshold: float
    ) -> SpecialistOutcome:
        """The budget allows no retry: decide on the last graded attempt as if it were
        the last one allowed."""
        decision = self._decide(verdict, threshold, retries_left=False)
        self._apply_verdict(outcome, verdict, decision)
        outcome.status = "completed"
        self.shared.omit(self.team.slug, spec.agent_id, f"retry {outcome.attempts + 1}")
        await self.shared.recorder.record_review(
            outcome.execution_id,
            scores=outcome.scores,
            decision=outcome.decision,
            review_status="approved" if decision.is_accepted else "rejected",
            reviewed_by_pk=self.team.head.pk,
            notes="No retry: the run's budget was spent.",
        )
        return outcome

    async def _unsuccessful(
        self, spec: AgentSpec, outcome: SpecialistOutcome, result: AgentResult
    ) -> SpecialistOutcome:
        outcome.error = str(result.error) if result.error else result.status
        if result.status == "skipped":
            outcome.decision = ""
            self.shared.omit(self.team.slug, spec.agent_id, "specialist run")
        else:
            outcome.decision = str(Decision.REJECT)
        await self._complete_event(spec, outcome, result)
        return outcome

    async def _graded(
        self, spec: AgentSpec, task: str, outcome: SpecialistOutcome, result: AgentResult
    ) -> JudgeVerdict | None:
        """The head's verdict, or None when the work could not be graded (which then
        never reaches the report)."""
        try:
            return await self._judge(spec, task, result)
        except AladdinError as error:
            skipped = error.details.get("reason") == "budget"
            outcome.status = "skipped" if skipped else "failed"
            outcome.decision = "" if skipped else str(Decision.REJECT)
            outcome.error = f"review {'skipped' if skipped else 'failed'}: {error}"
            if skipped:
                self.shared.omit(self.team.slug, spec.agent_id, "review of its output")
            await self.shared.recorder.record_review(
                result.execution_id,
                scores={},
                decision=outcome.decision,
                review_status="pending" if skipped else "rejected",
                reviewed_by_pk=self.team.head.pk,
                notes=outcome.error,
            )
            await self._complete_event(spec, outcome, result)
            return None

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

        return await self._run(
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
        output = jsontext.dumps(result.output, default=str)
        # Consistency is judged against the canon the output names, then the canon
        # nearest to its request: one embedding per request, not one per output.
        canon = await self.shared.canon_near(canon_query(result.output))
        prompt = judge_prompt(department, task, output, jsontext.dumps(canon, default=str)[:12000])
        review = await self._run(
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
                status=outcome.status,
            )
        )


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
