"""One department's work: the head selects specialists, runs them in parallel,
reviews each output with the judge prompt (spec 6.3), retries or rejects weak
work (spec 6.2), and synthesises the department report.

Failures stay local: a specialist that fails (its own role limit, a loop, a bad
answer) is rejected and the others go on. Once the run's budget is spent, work
not yet started is skipped (and listed in `omitted`), work in flight finishes,
and the department reports what it has."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from engine import events, jsontext
from engine.concurrency import run_all
from engine.errors import AladdinError, ErrorType
from engine.planning import omission
from engine.ports import AgentSpec, RunFinish, RunStart
from engine.quality import Decision, Level, decide
from engine.resume import KEY_PARAM, checkpoint_key
from engine.runtime import AgentResult, AgentTask
from engine.schemas import SYNTHESIS_SCHEMA, selection_schema
from engine.shared import Shared, Totals
from engine.specialist import SpecialistOutcome, SpecialistWork


@dataclass(frozen=True)
class DepartmentTeam:
    slug: str
    name: str
    head: AgentSpec
    specialists: tuple[AgentSpec, ...]
    average_ms: float = 0.0  # from past runs; 0 when there are none yet


class DepartmentRun(SpecialistWork):
    def __init__(
        self,
        team: DepartmentTeam,
        task: str,
        relevance: float,
        shared: Shared,
        max_specialists: int | None = None,
    ) -> None:
        self.team, self.task, self.relevance, self.shared = team, task, relevance, shared
        self.max_specialists = max_specialists
        self.execution_id = ""
        self.started = time.monotonic()
        self.totals = Totals()

    async def run(self) -> dict[str, Any]:
        if self.shared.budget_stop is not None:
            return await self._skip()
        shared = self.shared
        key = checkpoint_key("department", self.team.head.agent_id, shared.root_id, self.task)
        # Resumed or retried: the department's row is reopened, its finished runs reused.
        self.execution_id = shared.checkpoints.container(key) or await shared.recorder.start(
            RunStart(
                agent=self.team.head,
                kind="department",
                prompt=self.task,
                params={"relevance": self.relevance, KEY_PARAM: key},
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
            # One department's failure is its own; the others go on.
            status = "skipped" if error.details.get("reason") == "budget" else "failed"
            report = self._report([], status, error=error.to_dict())
            await self.shared.emit(
                events.department_complete(
                    shared.root_id, self.team.slug, [], status, self.execution_id
                )
            )
        status = report["status"] if report["status"] in {"completed", "skipped"} else "failed"
        await self._finish(status, report, report.get("error"))
        return report

    async def _skip(self) -> dict[str, Any]:
        """The budget ran out before this department's turn: a skipped row, no calls."""
        self.execution_id = await self.shared.recorder.start(
            RunStart(
                agent=self.team.head,
                kind="department",
                prompt=self.task,
                params={"relevance": self.relevance},
                parent_id=self.shared.root_id,
                root_id=self.shared.root_id,
                project_id=self.shared.project_id,
            )
        )
        self.shared.omit(self.team.slug, None, "the department was not started")
        report = self._report([], "skipped", note="Skipped: the run's budget was spent.")
        cause = str(self.shared.budget_stop or "the run's budget was spent")
        error = {
            "type": "budget_exceeded",
            "message": f"Not started: {cause}",
            "details": {"reason": "budget"},
        }
        await self._finish("skipped", report, error)
        return report

    async def _finish(self, status: str, report: Any, error: dict[str, Any] | None = None) -> None:
        reviewed: dict[str, Any] = report if isinstance(report, dict) else {}
        reviewed["metrics"] = self.totals.as_dict()  # into the report, when there is one
        await self.shared.recorder.finish(
            self.execution_id,
            RunFinish(
                status=status,
                output=report,
                error=error,
                input_tokens=self.totals.input_tokens,
                output_tokens=self.totals.output_tokens,
                cost=self.totals.cost,
                # The head's review of its specialists, for analytics and the admin.
                scores=dict(reviewed.get("scores") or {}),
                decision=str(reviewed.get("decision") or ""),
            ),
        )

    async def _run(self, task: AgentTask) -> AgentResult:
        """Every agent run of this department, so the department row sums them."""
        return await self.shared.run(task, self.totals)

    async def _work(self) -> dict[str, Any]:
        selection = self._capped(await self._select())
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
        if synthesis is None and accepted:
            synthesis = self._unsynthesised(accepted)
        outputs = [o.output for o in accepted]
        status = "completed" if accepted else "failed"
        if not accepted and all(o.status == "skipped" for o in outcomes):
            # The budget ran out before its specialists ran: skipped if it spent nothing.
            status = "skipped" if self.totals.agent_runs == 0 else "failed"
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
        result = await self._run(
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
        if result.status == "skipped":
            self.shared.omit(self.team.slug, self.team.head.agent_id, "specialist selection")
        if not result.ok:
            raise result.error or AladdinError(ErrorType.AGENT_FAILURE, "selection failed")
        chosen: dict[str, str] = {}
        for item in result.output["specialists"]:
            chosen.setdefault(item["agentId"], item["task"])
        return [(by_id[agent_id], task) for agent_id, task in chosen.items()]

    def _capped(self, selection: list[tuple[AgentSpec, str]]) -> list[tuple[AgentSpec, str]]:
        """The plan was fitted to the budget with at most this many specialists here."""
        cap = self.max_specialists
        if cap is None or len(selection) <= cap:
            return selection
        for spec, _ in selection[cap:]:
            self.shared.omitted.append(
                omission(
                    self.team.slug,
                    spec.agent_id,
                    "budget",
                    "the plan was fitted to the budget with "
                    f"{cap} specialist{'' if cap == 1 else 's'} here",
                    stage="plan",
                )
            )
        return selection[:cap]

    async def _run_specialists(
        self, selection: list[tuple[AgentSpec, str]]
    ) -> list[SpecialistOutcome]:
        return await run_all(
            [self._specialist(spec, task) for spec, task in selection],
            limit=self.shared.max_parallel_specialists,
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

    async def _synthesise(self, accepted: list[SpecialistOutcome]) -> dict[str, Any] | None:
        work = jsontext.dumps(
            [{"specialist": o.agent_id, "task": o.task, "output": o.output} for o in accepted],
            default=str,
        )
        prompt = (
            f"Department task:\n{self.task}\n\nAccepted specialist work:\n{work}\n\n"
            "Synthesise one coherent department report: resolve conflicts between "
            "specialists, list the entities created, and name open issues."
        )
        result = await self._run(
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
        if result.status == "skipped":
            self.shared.omit(self.team.slug, self.team.head.agent_id, "department synthesis")
            return None
        if not result.ok:
            raise result.error or AladdinError(ErrorType.AGENT_FAILURE, "synthesis failed")
        return dict(result.output)

    def _unsynthesised(self, accepted: list[SpecialistOutcome]) -> dict[str, Any]:
        """What the department has when its synthesis was skipped: the accepted work,
        side by side, with its entities."""
        outputs = [o.output if isinstance(o.output, dict) else {} for o in accepted]
        return {
            "summary": "Not synthesised (the run's budget was spent); accepted work: "
            + " | ".join(str(o.get("summary", "")) for o in outputs),
            "report": "\n\n".join(str(o.get("content", "")) for o in outputs),
            "entities": [e for o in outputs for e in o.get("entities") or []],
            "conflictsResolved": [],
            "openIssues": ["The head's synthesis was skipped for budget."],
        }

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


def _no_output_error(outcomes: list[SpecialistOutcome]) -> dict[str, Any]:
    failed = [o for o in outcomes if o.status != "completed"]
    if failed and all(o.status == "skipped" for o in failed):
        return {
            "type": "budget_exceeded",
            "reason": "budget",
            "message": f"The run's budget was spent before this work: {failed[0].error}",
        }
    if failed:
        return {
            "type": "agent_failure",
            "message": f"Every specialist failed; first error: {failed[0].error}",
        }
    return {
        "type": "quality_threshold_not_met",
        "message": "Every specialist output was rejected by the department review.",
    }
