"""What every department of one orchestration shares: its ports, its budget, what was
cut, why it stopped early, and the running totals of what it spent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine import events
from engine.budgets import BudgetLedger
from engine.complexity import ModelTier
from engine.errors import AladdinError, ErrorType, exhausts_run_budget
from engine.planning import omission
from engine.ports import EventSink, GraphStore, RunRecorder
from engine.resume import KEY_PARAM, Checkpoints, task_key
from engine.runtime import AgentResult, AgentRunner, AgentTask, LoopReport


@dataclass
class Totals:
    """Sums over agent runs, for a container row (a department, the orchestration):
    its tokens, cost and number of agent runs are those of its children."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0  # None once any run's price was unknown
    agent_runs: int = 0

    def add(self, result: AgentResult) -> None:
        if result.status == "skipped":
            return  # never ran: no tokens, no run
        self.agent_runs += 1
        self.input_tokens += result.input_tokens
        self.output_tokens += result.output_tokens
        # Rounded as each run's row stores it, so a container equals the sum of its rows.
        cost = None if result.cost is None else round(result.cost, 6)
        self.cost = None if self.cost is None or cost is None else round(self.cost + cost, 6)

    def as_dict(self) -> dict[str, Any]:
        return {
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "totalTokens": self.input_tokens + self.output_tokens,
            "cost": None if self.cost is None else round(self.cost, 6),
            "agentRuns": self.agent_runs,
        }


@dataclass
class Shared:
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
    totals: Totals = field(default_factory=Totals)
    omitted: list[dict[str, Any]] = field(default_factory=list)
    # The refusal that ended the budget: from then on no new agent run starts.
    budget_stop: AladdinError | None = None
    loops_stopped: int = 0
    # Runs finished by an earlier attempt of this orchestration, reused without a call.
    checkpoints: Checkpoints = field(default_factory=Checkpoints.of)

    async def emit(self, event: events.Event) -> None:
        await self.sink.emit(self.root_id, event.type, event.payload, source_id=event.source_id)

    async def canon_near(self, text: str) -> dict[str, Any]:
        """The project context that shares `text`'s words, then is nearest in meaning
        to the request (the request's own context when there is no project)."""
        if self.project_id is None:
            return self.context
        return await self.graph.relevant_context(self.project_id, text, meaning_of=self.prompt)

    async def run(self, task: AgentTask, totals: Totals | None = None) -> AgentResult:
        """Run one agent, or record it as skipped once the budget is spent. Work already
        in flight when the budget runs out finishes; nothing new starts."""
        task.root_id, task.project_id, task.ledgers = self.root_id, self.project_id, [self.ledger]
        task.on_loop = task.on_loop or self._loop_detected
        key = task_key(task)
        reused = self.checkpoints.reuse(task, key)
        if reused is not None:
            result = reused
        elif self.budget_stop is not None:
            result = await self.runner.skip(task, self.budget_stop)
        else:
            task.params = {**task.params, KEY_PARAM: key}
            result = await self.runner.run(task)
        self.totals.add(result)
        if totals is not None:
            totals.add(result)
        if exhausts_run_budget(result.error) and self.budget_stop is None:
            self.budget_stop = result.error
        if result.error is not None and result.error.type is ErrorType.LOOP_DETECTED:
            self.loops_stopped += 1
        return result

    def omit(self, department: str, agent: str | None, what: str) -> None:
        """Record work the budget kept from starting."""
        cause = str(self.budget_stop) if self.budget_stop else "the budget ran out"
        self.omitted.append(omission(department, agent, "budget", f"{what}: {cause}", stage="run"))

    async def _loop_detected(self, report: LoopReport) -> None:
        await self.emit(
            events.agent_loop_detected(
                self.root_id,
                report.department,
                report.agent_id,
                report.pattern,
                report.calls,
                report.action,
                report.execution_id,
            )
        )
