"""Running ONE agent: messages, the tool-call loop, structured output, the record.

Every run is recorded from start to finish through the RunRecorder, whatever
happens: a failure is stored with its error class, a cancellation is stored as
cancelled, and the raw text of an unparseable answer is kept. A run whose first
call the run's budget refuses, or that is never started because the budget is
spent, is recorded as `skipped` (reason `budget`). An agent that repeats a tool
call (same tool, same arguments, 3 times) or alternates between two (A, B, A, B)
is stopped with `loop_detected`, its messages and tool calls kept.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine import jsontext
from engine.budgets import ROLE_LIMITS, BudgetLedger, TokenLimits
from engine.complexity import ModelTier
from engine.errors import AladdinError, ErrorType, exhausts_run_budget
from engine.gateway import CallBudget, Gateway, RetryListener
from engine.ports import (
    AgentSpec,
    LLMRequest,
    LLMResponse,
    RunFinish,
    RunRecorder,
    RunRef,
    RunStart,
    ToolCallRequest,
    ToolExecutor,
)
from engine.schema_check import first_schema_error

CONTEXT_KEYS = ("project", "episodes", "scenes", "characters", "relationships")
StepListener = Callable[[int, int, str], Awaitable[None]]
REPEATS_FOR_A_LOOP = 3


@dataclass(frozen=True)
class LoopReport:
    execution_id: str
    agent_id: str
    department: str
    pattern: str  # "repeat" | "alternation"
    calls: tuple[str, ...]  # the tool calls that make the loop, as name(arguments)
    action: str  # "warn" | "stop"


LoopListener = Callable[[LoopReport], Awaitable[None]]


class LoopGuard:
    """Spots an agent going round in circles on its tool calls: the same call (tool
    and arguments) a third time, or two calls alternating (A, B, A, B)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.reported = False

    def see(self, call: ToolCallRequest) -> str:
        """Note one requested call; the loop's pattern if it closes one, else ''."""
        self.calls.append(f"{call.name}({_canonical(call.arguments)})")
        if self.calls.count(self.calls[-1]) >= REPEATS_FOR_A_LOOP:
            return "repeat"
        last = self.calls[-4:]
        if len(last) == 4 and last[0] == last[2] and last[1] == last[3] and last[0] != last[1]:
            return "alternation"
        return ""


def _canonical(arguments: str) -> str:
    """The same arguments written differently ({"a":1} vs { "a": 1 }) are the same call."""
    try:
        return json.dumps(json.loads(arguments or "{}"), sort_keys=True, ensure_ascii=False)
    except json.JSONDecodeError:
        return arguments.strip()


@dataclass
class AgentTask:
    """One run of one agent: what to do, with what, and where it sits in the tree."""

    spec: AgentSpec
    prompt: str
    kind: str = "agent"
    context: Mapping[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    schema_name: str = "result"
    system_suffix: str = ""
    feedback: Sequence[str] = ()
    tier: ModelTier = ModelTier.STANDARD
    parent_id: str | None = None
    root_id: str | None = None
    project_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    ledgers: Sequence[BudgetLedger] = ()
    limits_role: str = ""
    on_step: StepListener | None = None
    on_retry: RetryListener | None = None
    on_loop: LoopListener | None = None
    retry_count: int = 0
    retry_reason: str = ""


@dataclass
class AgentResult:
    execution_id: str
    root_id: str
    status: str
    output: Any = None
    raw_output: str = ""
    error: AladdinError | None = None
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0
    tool_calls: int = 0
    llm_retries: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)
    elapsed_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "completed"

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass
class _Progress:
    """What the loop has spent so far, for the record and the per-agent cap."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0
    model: str = ""
    tool_calls: int = 0
    llm_calls: int = 0
    llm_retries: int = 0
    retry_reasons: list[str] = field(default_factory=list)

    def add(self, response: LLMResponse, retries: int, reasons: Sequence[str]) -> None:
        self.llm_calls += 1
        self.input_tokens += response.input_tokens
        self.output_tokens += response.output_tokens
        self.model = response.model or self.model
        self.cost = (
            None if self.cost is None or response.cost is None else (self.cost + response.cost)
        )
        self.llm_retries += retries
        self.retry_reasons.extend(reasons)

    def count_failed_attempts(self, error: AladdinError) -> None:
        """A call that failed after retries still made them; keep them in the record."""
        attempts = error.details.get("attempts")
        if isinstance(attempts, int) and attempts > 1:
            self.llm_retries += attempts - 1
            self.retry_reasons.append(f"{error.type}: {attempts - 1} retries, then gave up")


class AgentRunner:
    def __init__(self, gateway: Gateway, tools: ToolExecutor, recorder: RunRecorder) -> None:
        self.gateway = gateway
        self.tools = tools
        self.recorder = recorder

    async def run(self, task: AgentTask) -> AgentResult:
        execution_id = await self.recorder.start(
            RunStart(
                agent=task.spec,
                kind=task.kind,
                prompt=task.prompt,
                params=task.params,
                parent_id=task.parent_id,
                root_id=task.root_id,
                project_id=task.project_id,
                running=True,
            )
        )
        root_id = task.root_id or execution_id
        started = time.monotonic()
        result = AgentResult(execution_id=execution_id, root_id=root_id, status="running")
        progress = _Progress()
        messages = build_messages(task)
        try:
            result.output, result.raw_output = await self._loop(
                task,
                RunRef(execution_id, root_id, task.spec.agent_id, task.project_id),
                messages,
                progress,
            )
            result.status = "completed"
        except AladdinError as error:
            # Refused before it spent anything: the run never really started.
            skipped = exhausts_run_budget(error) and progress.llm_calls == 0
            result.status, result.error = ("skipped" if skipped else "failed"), error
            if skipped:
                error.details["reason"] = "budget"
            result.raw_output = error.details.pop("rawOutput", "")
            progress.count_failed_attempts(error)
        except asyncio.CancelledError:
            result.status = "cancelled"
            result.error = AladdinError(ErrorType.CANCELLED, "The run was cancelled.")
            result.elapsed_ms = int((time.monotonic() - started) * 1000)
            await asyncio.shield(self._finish(task, result, progress, messages))
            raise
        except Exception as exc:  # a bug must still leave a failed record, not a lost run
            result.status = "failed"
            result.error = AladdinError(ErrorType.UNKNOWN_ERROR, f"{type(exc).__name__}: {exc}")
        result.elapsed_ms = int((time.monotonic() - started) * 1000)
        await self._finish(task, result, progress, messages)
        return result

    async def skip(self, task: AgentTask, cause: AladdinError) -> AgentResult:
        """Record a run that is not started because the run's budget is spent."""
        execution_id = await self.recorder.start(
            RunStart(
                agent=task.spec,
                kind=task.kind,
                prompt=task.prompt,
                params=task.params,
                parent_id=task.parent_id,
                root_id=task.root_id,
                project_id=task.project_id,
            )
        )
        error = AladdinError(
            ErrorType.BUDGET_EXCEEDED,
            f"Not started: {cause}",
            details={**cause.details, "reason": "budget"},
        )
        result = AgentResult(
            execution_id=execution_id,
            root_id=task.root_id or execution_id,
            status="skipped",
            error=error,
        )
        await self.recorder.finish(execution_id, RunFinish(status="skipped", error=error.to_dict()))
        return result

    async def _finish(
        self,
        task: AgentTask,
        result: AgentResult,
        progress: _Progress,
        messages: list[dict[str, Any]],
    ) -> None:
        result.model = progress.model
        result.input_tokens, result.output_tokens = progress.input_tokens, progress.output_tokens
        result.cost, result.tool_calls = progress.cost, progress.tool_calls
        result.llm_retries, result.messages = progress.llm_retries, messages
        reasons = [task.retry_reason] if task.retry_reason else []
        reasons += progress.retry_reasons
        await self.recorder.finish(
            result.execution_id,
            RunFinish(
                status=result.status,
                output=result.output,
                raw_output=result.raw_output,
                messages=messages,
                model=progress.model,
                input_tokens=progress.input_tokens,
                output_tokens=progress.output_tokens,
                cost=progress.cost,
                error=result.error.to_dict() if result.error else None,
                retry_count=task.retry_count + progress.llm_retries,
                retry_reason="; ".join(reasons),
            ),
        )

    async def _loop(
        self,
        task: AgentTask,
        ref: RunRef,
        messages: list[dict[str, Any]],
        progress: _Progress,
    ) -> tuple[Any, str]:
        spec = task.spec
        limits = role_limits(task)
        model = spec.models.for_tier(task.tier)
        if not model:
            raise AladdinError(
                ErrorType.VALIDATION_ERROR,
                f"No model is configured for {spec.agent_id}: set its model in the admin or "
                "ALADDIN_DEFAULT_MODEL.",
            )
        repaired = False
        guard = LoopGuard()
        for step in range(1, spec.max_agent_steps + 1):
            if task.on_step is not None:
                await task.on_step(step, spec.max_agent_steps, "thinking")
            reply = await self.gateway.complete(
                self._request(task, model, messages, limits, progress),
                CallBudget(limits=limits, ledgers=task.ledgers),
                on_retry=task.on_retry,
            )
            response = reply.response
            progress.add(response, reply.retries, reply.retry_reasons)
            if response.tool_calls:
                await self._check_loop(task, ref, guard, response)
                await self._run_tools(task, ref, messages, response, progress)
                continue
            text = response.content or ""
            messages.append({"role": "assistant", "content": text})
            if task.output_schema is None:
                if not text.strip():  # an empty answer is not a result (finish_reason aside)
                    raise AladdinError(
                        ErrorType.VALIDATION_ERROR,
                        f"{spec.agent_id} answered with nothing; try again or check its model.",
                    )
                return text, text
            parsed, problem = parse_structured(text, task.output_schema)
            if problem is None:
                return parsed, text
            if repaired:
                raise AladdinError(
                    ErrorType.VALIDATION_ERROR,
                    f"The answer was not valid JSON for the requested shape: {problem}",
                    details={"rawOutput": text},
                )
            repaired = True
            messages.append({"role": "user", "content": repair_prompt(problem)})
        raise AladdinError(
            ErrorType.AGENT_FAILURE,
            f"{spec.agent_id} used all {spec.max_agent_steps} steps without a final answer; "
            "raise its max agent steps in the admin or simplify the task.",
        )

    async def _check_loop(
        self, task: AgentTask, ref: RunRef, guard: LoopGuard, response: LLMResponse
    ) -> None:
        """Stop (or warn about) a loop before the call that closes it runs."""
        mode = task.spec.loop_detection
        if mode == "off":
            return
        pattern = next(filter(None, (guard.see(call) for call in response.tool_calls)), "")
        if not pattern or (mode == "warn" and guard.reported):
            return
        guard.reported = True
        calls = tuple(guard.calls[-4:])
        if task.on_loop is not None:
            await task.on_loop(
                LoopReport(
                    ref.execution_id,
                    task.spec.agent_id,
                    task.spec.department or "",
                    pattern,
                    calls,
                    mode,
                )
            )
        if mode == "stop":
            raise AladdinError(
                ErrorType.LOOP_DETECTED,
                f"{task.spec.agent_id} was stopped in a tool-call loop ({pattern}: "
                f"{', '.join(calls[-3:])}). Its messages and tool calls so far are kept; "
                "set its loop detection to warn or off in the admin to let it go on.",
                details={"pattern": pattern, "calls": list(calls)},
            )

    def _request(
        self,
        task: AgentTask,
        model: str,
        messages: list[dict[str, Any]],
        limits: TokenLimits,
        progress: _Progress,
    ) -> LLMRequest:
        spent = progress.input_tokens + progress.output_tokens
        remaining = limits.max_total - spent
        if remaining <= 0:
            raise AladdinError(
                ErrorType.BUDGET_EXCEEDED,
                f"{task.spec.agent_id} reached its limit of {limits.max_total} tokens per run.",
                details={"limit": "agent", "maxTotal": limits.max_total},
            )
        return LLMRequest(
            model=model,
            messages=list(messages),
            max_tokens=min(limits.max_output, remaining),
            response_schema=task.output_schema,
            schema_name=task.schema_name,
            tools=task.spec.tools,
            agent_id=task.spec.agent_id,
        )

    async def _run_tools(
        self,
        task: AgentTask,
        ref: RunRef,
        messages: list[dict[str, Any]],
        response: LLMResponse,
        progress: _Progress,
    ) -> None:
        messages.append(assistant_tool_message(response))
        for call in response.tool_calls:
            progress.tool_calls += 1
            if task.on_step is not None:
                await task.on_step(
                    progress.tool_calls, task.spec.max_agent_steps, f"calling {call.name}"
                )
            content = await self._call_tool(ref, call)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": content})

    async def _call_tool(self, ref: RunRef, call: ToolCallRequest) -> str:
        outcome = await self.tools.call(ref, call.id, call.name, call.arguments)
        if not outcome.ok:
            # The model sees the error as the tool's result and can correct itself.
            return f"Error: {outcome.error}"
        return jsontext.dumps(outcome.output, default=str)


def role_limits(task: AgentTask) -> TokenLimits:
    role = task.limits_role or task.spec.role
    return ROLE_LIMITS.get(role, ROLE_LIMITS["specialist"])


def build_messages(task: AgentTask) -> list[dict[str, Any]]:
    spec = task.spec
    system = spec.instructions_prompt.strip()
    if task.system_suffix:
        system += "\n\n" + task.system_suffix.strip()
    if task.output_schema is not None:
        system += (
            "\n\nAnswer with a single JSON object that matches the response schema; "
            "no prose outside it."
        )
    parts = [f"TASK:\n{task.prompt.strip()}"]
    context = select_context(task.context, spec.required_context)
    if context:
        # Compact JSON here and in every prompt: indentation costs tokens, not meaning.
        parts.append(
            "PROJECT CONTEXT (canon; do not contradict it):\n"
            + jsontext.dumps(context, default=str)
        )
    if task.feedback:
        parts.append(
            "FEEDBACK ON YOUR PREVIOUS ATTEMPT (address every point):\n"
            + "\n".join(f"- {item}" for item in task.feedback)
        )
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]


def select_context(context: Mapping[str, Any] | None, required: Sequence[str]) -> dict[str, Any]:
    """The parts of the context the agent declared it needs (all of it when none declared)."""
    if not context:
        return {}
    wanted = [key for key in required if key in CONTEXT_KEYS] or list(context)
    return {key: context[key] for key in wanted if context.get(key)}


def parse_structured(text: str, schema: Mapping[str, Any]) -> tuple[Any, str | None]:
    """The parsed JSON and None, or None and what is wrong with it."""
    candidate = strip_code_fence(text)
    try:
        value = json.loads(candidate)
    except json.JSONDecodeError as exc:
        return None, f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    problem = first_schema_error(schema, value)
    return (None, problem) if problem else (value, None)


def strip_code_fence(text: str) -> str:
    """Models often wrap JSON in ```json fences even when told not to."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        if stripped.rstrip().endswith("```"):
            stripped = stripped.rstrip()[:-3]
    return stripped.strip()


def repair_prompt(problem: str) -> str:
    return (
        f"Your previous answer could not be used: {problem}. Reply again with only the JSON "
        "object that matches the response schema."
    )


def assistant_tool_message(response: LLMResponse) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": response.content or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in response.tool_calls
        ],
    }
