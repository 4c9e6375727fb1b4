"""Running a tool call for an agent: find, validate, rate-limit, run, record.

Implements engine.ports.ToolExecutor. Nothing a tool does wrong raises into the
agent's run: errors come back as the tool's result so the model can correct
itself, and every call (good or bad) is recorded with its timing through the
run's recorder (executions/, above this app, passes it in).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from agents.models import Agent, CustomTool
from agents.selectors import available_tools
from agents.tool_validation import instance_errors
from agents.tools.builtins import ToolInputError
from agents.tools.registry import ToolContext, get_builtin
from aladdin import egress, jsonlimits
from engine.ports import RunRef, ToolCallRecord, ToolOutcome

SIGNATURE_HEADER = "X-Webhook-Signature"


class ToolCallLog(Protocol):
    """Where tool calls are recorded (the run's RunRecorder)."""

    async def record_tool_call(self, call: ToolCallRecord) -> None: ...


class ToolFailure(Exception):
    """A tool call that cannot succeed; the message is shown to the model."""


@dataclass(frozen=True)
class _Timing:
    started_at: Any
    started: float

    @classmethod
    def now(cls) -> _Timing:
        return cls(timezone.now(), time.perf_counter())

    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class DjangoToolExecutor:
    def __init__(self, log: ToolCallLog) -> None:
        self._log = log
        self._tools_by_agent: dict[str, dict[str, CustomTool]] = {}

    async def call(self, ref: RunRef, call_id: str, name: str, arguments: str) -> ToolOutcome:
        timing = _Timing.now()
        tool: CustomTool | None = None
        parsed: Any = None
        try:
            tool = await self._find(ref.agent_id, name)
            parsed = parse_arguments(arguments, tool)
            await check_rate_limit(tool)
            outcome = ToolOutcome(output=await self._execute(tool, parsed, ref))
        except ToolFailure as failure:
            outcome = ToolOutcome(output=None, error=str(failure))
        except Exception as exc:  # a tool's bug is reported to the model and recorded
            outcome = ToolOutcome(output=None, error=f"{name} failed: {type(exc).__name__}: {exc}")
        await self._record(
            ref, call_id, name, tool, parsed if parsed is not None else arguments, outcome, timing
        )
        return outcome

    async def _find(self, agent_id: str, name: str) -> CustomTool:
        tools = self._tools_by_agent.get(agent_id)
        if tools is None:
            tools = await _load_tools(agent_id)
            self._tools_by_agent[agent_id] = tools
        tool = tools.get(name)
        if tool is None:
            names = ", ".join(sorted(tools)) or "none"
            raise ToolFailure(f"No tool named {name!r} is available to you (available: {names}).")
        return tool

    async def _execute(self, tool: CustomTool, arguments: dict[str, Any], ref: RunRef) -> Any:
        if tool.implementation == CustomTool.Implementation.HTTP:
            output = await self._post(tool, arguments, ref)
        else:
            builtin = get_builtin(tool.builtin_name)()
            context = ToolContext(ref.project_id, ref.agent_id, ref.execution_id)
            try:
                output = await builtin.run(arguments, context)
            except ToolInputError as exc:
                raise ToolFailure(str(exc)) from exc
        if tool.output_schema:
            problems = instance_errors(tool.output_schema, output)
            if problems:
                raise ToolFailure(
                    f"{tool.tool_name} returned output that breaks its output schema: "
                    + "; ".join(problems[:3])
                )
        return output

    async def _post(self, tool: CustomTool, arguments: dict[str, Any], ref: RunRef) -> Any:
        body = json.dumps(
            {
                "tool": tool.tool_name,
                "input": arguments,
                "agentId": ref.agent_id,
                "executionId": ref.execution_id,
            },
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json", "X-Webhook-Event": "tool.call"}
        if tool.signing_secret:
            headers[SIGNATURE_HEADER] = sign(tool.signing_secret, body)
        try:
            # The egress guard: public addresses only, one deadline, a byte cap.
            response = await egress.fetch("POST", tool.endpoint_url, content=body, headers=headers)
        except egress.EgressError as exc:
            raise ToolFailure(f"{tool.tool_name}: {exc}") from exc
        if response.status_code >= 400:
            raise ToolFailure(
                f"{tool.tool_name} answered HTTP {response.status_code}: {response.text[:300]}"
            )
        try:
            return response.json()
        except ValueError as exc:
            raise ToolFailure(
                f"{tool.tool_name} answered with something other than usable JSON ({exc})."
            ) from exc

    async def _record(
        self,
        ref: RunRef,
        call_id: str,
        name: str,
        tool: CustomTool | None,
        arguments: Any,
        outcome: ToolOutcome,
        timing: _Timing,
    ) -> None:
        duration = timing.elapsed_ms()
        await self._log.record_tool_call(
            ToolCallRecord(
                execution_id=ref.execution_id,
                call_id=call_id,
                name=name,
                tool_pk=tool.pk if tool is not None else None,
                arguments=arguments,
                output=_json_safe(outcome.output),
                error=outcome.error,
                started_at=timing.started_at,
                duration_ms=duration,
            )
        )
        if tool is not None:
            await record_tool_metrics(tool.pk, duration, outcome.ok)


async def _load_tools(agent_id: str) -> dict[str, CustomTool]:
    from asgiref.sync import sync_to_async

    def load() -> dict[str, CustomTool]:
        agent = Agent.objects.select_related("department").get(agent_id=agent_id)
        return {tool.tool_name: tool for tool in available_tools(agent)}

    return await sync_to_async(load)()


def parse_arguments(arguments: str, tool: CustomTool) -> dict[str, Any]:
    try:
        value = jsonlimits.loads(arguments or "{}")
    except ValueError as exc:
        raise ToolFailure(
            f"The arguments for {tool.tool_name} are not valid JSON ({exc}); "
            "call it again with a JSON object."
        ) from exc
    if not isinstance(value, dict):
        raise ToolFailure(f"The arguments for {tool.tool_name} must be a JSON object.")
    problems = instance_errors(tool.input_schema, value)
    if problems:
        raise ToolFailure(
            f"Invalid input for {tool.tool_name}: "
            + "; ".join(problems[:5])
            + ". Fix the arguments and call it again."
        )
    return value


async def check_rate_limit(tool: CustomTool) -> None:
    """At most maxCalls per window, counted in the shared cache (Redis in production)."""
    if not tool.rate_limit_max_calls or not tool.rate_limit_window_ms:
        return
    window_seconds = tool.rate_limit_window_ms / 1000
    window = int(time.time() // window_seconds)
    key = f"tool-rate:{tool.tool_name}:{window}"
    await cache.aadd(key, 0, timeout=int(window_seconds) + 1)
    count = await cache.aincr(key)
    if count > tool.rate_limit_max_calls:
        wait = window_seconds - (time.time() % window_seconds)
        raise ToolFailure(
            f"{tool.tool_name} is rate limited to {tool.rate_limit_max_calls} calls per "
            f"{tool.rate_limit_window_ms} ms; try again in {wait:.1f} s or do without it."
        )


async def record_tool_metrics(tool_pk: int, duration_ms: int, ok: bool) -> None:
    """One UPDATE, so concurrent calls never lose a count."""
    failed = 0 if ok else 1
    await CustomTool.objects.filter(pk=tool_pk).aupdate(
        total_executions=F("total_executions") + 1,
        failed_executions=F("failed_executions") + failed,
        average_execution_time=(F("average_execution_time") * F("total_executions") + duration_ms)
        / (F("total_executions") + 1.0),
        error_rate=(F("failed_executions") + failed) * 100.0 / (F("total_executions") + 1.0),
    )


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=str))
    return value
