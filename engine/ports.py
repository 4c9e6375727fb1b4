"""What the engine needs from the outside world, as small protocols and value types.

The engine never imports Django, litellm, Channels or neo4j: adapters on the
Django side implement these ports, and tests use the same adapters against
real parts (and a fake LLM HTTP server at the network edge).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.complexity import ModelTier


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class ModelChoice:
    """Which model answers: an explicit model string, else the tier's model."""

    explicit: str = ""
    tiers: tuple[tuple[ModelTier, str], ...] = ()

    def for_tier(self, tier: ModelTier) -> str:
        if self.explicit:
            return self.explicit
        models = dict(self.tiers)
        return models.get(tier) or models.get(ModelTier.STANDARD) or ""


@dataclass(frozen=True)
class AgentSpec:
    """An agent as the engine sees it: a frozen copy of its admin configuration."""

    agent_id: str
    name: str
    role: str  # "orchestrator" | "department_head" | "specialist"
    department: str | None
    instructions_prompt: str
    models: ModelChoice
    tools: tuple[ToolSpec, ...] = ()
    max_agent_steps: int = 20
    required_context: tuple[str, ...] = ()
    quality_threshold: int = 80
    max_retries: int = 3
    requires_review: bool = True
    version: str = "1.0.0"
    specialization: str = ""
    description: str = ""
    pk: int | None = None
    average_execution_ms: float = 0.0  # from past runs; 0 when there are none yet
    average_tokens: float = 0.0  # per run, from past runs; 0 when there are none yet
    average_cost: float | None = None  # USD per run from past runs; None when unknown
    loop_detection: str = "stop"  # off | warn | stop (see engine.runtime.LoopGuard)


@dataclass(frozen=True)
class ToolCallRequest:
    id: str
    name: str
    arguments: str  # raw JSON text as the model produced it


@dataclass(frozen=True)
class LLMRequest:
    model: str
    messages: list[dict[str, Any]]
    max_tokens: int
    response_schema: dict[str, Any] | None = None
    schema_name: str = "result"
    tools: tuple[ToolSpec, ...] = ()
    agent_id: str = ""
    temperature: float | None = None
    # What to reserve from budgets for the reply; 0 means a quarter of max_tokens.
    # Reserving the full max_tokens of every parallel call would stop runs that
    # are far inside their budget.
    expected_output_tokens: int = 0

    @property
    def output_estimate(self) -> int:
        return min(self.max_tokens, self.expected_output_tokens or max(1, self.max_tokens // 4))


@dataclass(frozen=True)
class LLMResponse:
    content: str | None
    tool_calls: tuple[ToolCallRequest, ...]
    input_tokens: int
    output_tokens: int
    cost: float | None  # USD; None when the model's price is unknown
    model: str

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class LLMClient(Protocol):
    """One chat completion. Raises engine.errors.AladdinError, classified."""

    async def complete(self, request: LLMRequest) -> LLMResponse: ...


class CostEstimator(Protocol):
    """Estimated USD for a call of this size, or None when the price is unknown."""

    def estimate(self, model: str, input_tokens: int, output_tokens: int) -> float | None: ...


@dataclass(frozen=True)
class ToolOutcome:
    output: Any
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class RunRef:
    """Who is calling a tool or emitting an event: the run and its orchestration."""

    execution_id: str
    root_id: str
    agent_id: str
    project_id: int | None


@dataclass(frozen=True)
class ToolCallRecord:
    """One tool call as the RunRecorder stores it."""

    execution_id: str
    call_id: str
    name: str
    tool_pk: int | None
    arguments: Any
    output: Any
    error: str
    started_at: Any  # an aware datetime
    duration_ms: int


class ToolExecutor(Protocol):
    """Parses and validates the model's arguments (raw JSON text), rate-limits, runs
    and records one tool call. Tool errors come back as ToolOutcome.error, not raised."""

    async def call(self, ref: RunRef, call_id: str, name: str, arguments: str) -> ToolOutcome: ...


@dataclass
class RunStart:
    agent: AgentSpec | None
    kind: str  # "orchestration" | "department" | "specialist" | "review" | "agent"
    prompt: str
    params: dict[str, Any] = field(default_factory=dict)
    parent_id: str | None = None
    root_id: str | None = None
    project_id: int | None = None
    # Started at once: the row is written running (its history still says pending
    # first), saving the separate pending -> running write.
    running: bool = False


@dataclass
class RunFinish:
    status: str  # "completed" | "failed" | "cancelled"
    output: Any = None
    raw_output: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0
    error: dict[str, Any] | None = None
    retry_count: int = 0
    retry_reason: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    decision: str = ""
    review_status: str = ""
    reviewed_by: str = ""
    review_notes: str = ""


@dataclass(frozen=True)
class Checkpoint:
    """A run of an orchestration as recorded, for resuming it (see engine.resume)."""

    execution_id: str
    key: str  # the checkpoint key the run was started with
    kind: str
    status: str
    output: Any = None
    raw_output: str = ""
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0


class RunRecorder(Protocol):
    """Persists runs: one row per agent run, updated as it goes."""

    async def start(self, run: RunStart) -> str: ...

    async def mark_running(self, execution_id: str) -> None: ...

    async def finish(self, execution_id: str, result: RunFinish) -> None: ...

    async def record_review(
        self,
        execution_id: str,
        *,
        scores: dict[str, float],
        decision: str,
        review_status: str,
        reviewed_by_pk: int | None,
        notes: str,
    ) -> None: ...

    async def record_tool_call(self, call: ToolCallRecord) -> None: ...

    async def checkpoints(self, root_id: str) -> list[Checkpoint]:
        """The runs under an orchestration that carry a checkpoint key, oldest first."""
        ...


class EventSink(Protocol):
    """Appends a typed event to an orchestration's numbered log. The engine needs only
    the order kept: a sink may return before the event is stored."""

    async def emit(
        self, root_id: str, type: str, payload: dict[str, Any], *, source_id: str | None = None
    ) -> object: ...


class GraphStore(Protocol):
    """The project's knowledge graph (brain), as the engine uses it."""

    async def relevant_context(
        self, project_id: int, text: str, *, meaning_of: str | None = None
    ) -> dict[str, Any]:
        """The project context pruned to what is nearest in meaning to `text`; with
        `meaning_of`, to what shares `text`'s words, then is nearest to `meaning_of`."""
        ...

    async def store_results(
        self, project_id: int, execution_id: str, entities: list[dict[str, Any]]
    ) -> int: ...
