"""One agent run through the real litellm HTTP path against the fake LLM server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from agents.models import Agent
from agents.selectors import agent_spec
from aladdin.seeding import seed_tools
from brain.models import Project
from engine.ports import AgentSpec
from engine.retry import RetryStrategy
from engine.runtime import AgentTask
from executions.models import Execution, ToolCall
from tests import factories
from tests.agents.conftest import PRICED_MODEL, Harness
from tests.support.fake_llm import call, http_error, json_reply, text, tool_calls

pytestmark = pytest.mark.django_db(transaction=True)

ANSWER_SCHEMA = {
    "type": "object",
    "properties": {
        "summary": {"type": "string"},
        "names": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["summary", "names"],
    "additionalProperties": False,
}


def make_agent(
    model: str = PRICED_MODEL, tools: tuple[str, ...] = ("search_brain",), **fields: Any
) -> tuple[AgentSpec, Project]:
    project = factories.project(name="Lanterns")
    factories.character(project, name="Mara Vell", description="A lighthouse keeper.")
    from aladdin.seeding import SeedReport

    department = factories.department(slug="character")
    all_tools = seed_tools(SeedReport(), {"character": department})
    agent = factories.agent(
        agent_id="character-creator-001",
        department=department,
        model=model,
        instructions_prompt="You create characters.",
        **fields,
    )
    agent.tools.set([all_tools[name] for name in tools])
    return agent_spec(Agent.objects.select_related("department").get(pk=agent.pk)), project


async def setup(**kwargs: Any) -> tuple[AgentSpec, Project]:
    return await sync_to_async(make_agent)(**kwargs)


async def test_tool_calling_run_is_recorded_end_to_end(harness: Harness) -> None:
    spec, project = await setup()
    harness.server.script(
        "You create characters",
        tool_calls(call("search_brain", {"query": "Mara"})),
        json_reply({"summary": "Found Mara", "names": ["Mara Vell"]}),
    )
    result = await harness.make_runner().run(
        AgentTask(
            spec=spec,
            prompt="Who keeps the lighthouse?",
            output_schema=ANSWER_SCHEMA,
            project_id=project.pk,
        )
    )
    assert result.ok, result.error
    assert result.output == {"summary": "Found Mara", "names": ["Mara Vell"]}
    execution = await Execution.objects.aget(execution_id=result.execution_id)
    assert execution.status == "completed"
    assert [h["status"] for h in execution.status_history] == ["pending", "running", "completed"]
    assert execution.agent_version == "1.0.0"
    assert execution.total_tokens == execution.input_tokens + execution.output_tokens > 0
    assert execution.cost is not None and execution.cost > 0
    call_row = await ToolCall.objects.aget(execution=execution)
    assert call_row.success and call_row.input == {"query": "Mara"}
    assert call_row.output["characters"][0]["name"] == "Mara Vell"
    roles = [m["role"] for m in execution.run_state["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    second_request = harness.server.requests[1]
    assert second_request["messages"][3]["role"] == "tool"
    assert "Mara Vell" in second_request["messages"][3]["content"]
    assert second_request["response_format"]["type"] == "json_schema"
    assert second_request["tools"][0]["function"]["name"] == "search_brain"


async def test_schema_invalid_tool_input_goes_back_to_the_model(harness: Harness) -> None:
    spec, project = await setup()
    harness.server.script(
        "You create characters",
        tool_calls(call("search_brain", {"limit": 3})),
        tool_calls(call("search_brain", "{not json")),
        text("I could not search."),
    )
    result = await harness.make_runner().run(
        AgentTask(spec=spec, prompt="Search", project_id=project.pk)
    )
    assert result.ok
    calls = [c async for c in ToolCall.objects.order_by("id")]
    assert [c.success for c in calls] == [False, False]
    assert "'query' is a required property" in calls[0].error
    assert "not valid JSON" in calls[1].error
    tool_message = harness.server.requests[1]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert tool_message["content"].startswith("Error: Invalid input for search_brain")


async def test_unknown_tool_is_reported_to_the_model_not_raised(harness: Harness) -> None:
    spec, project = await setup()
    harness.server.script(
        "You create characters", tool_calls(call("delete_everything", {})), text("ok")
    )
    result = await harness.make_runner().run(
        AgentTask(spec=spec, prompt="x", project_id=project.pk)
    )
    assert result.ok
    assert (
        "No tool named 'delete_everything'" in harness.server.requests[1]["messages"][-1]["content"]
    )


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (RetryStrategy.LINEAR, [1.0, 2.0, 3.0]),
        (RetryStrategy.EXPONENTIAL, [1.0, 2.0, 4.0]),
        (RetryStrategy.FIBONACCI, [1.0, 1.0, 2.0]),
    ],
)
async def test_transient_errors_are_retried_with_each_strategy(
    harness: Harness, strategy: RetryStrategy, expected: list[float]
) -> None:
    spec, project = await setup()
    harness.server.script(
        "You create characters",
        http_error(500),
        http_error(503),
        http_error(502),
        text("finally"),
    )
    result = await harness.make_runner(strategy, attempts=4).run(
        AgentTask(spec=spec, prompt="x", project_id=project.pk)
    )
    assert result.ok and result.output == "finally"
    assert harness.sleeps.delays == expected
    assert len(harness.server.requests) == 4
    execution = await Execution.objects.aget(execution_id=result.execution_id)
    assert execution.retry_count == 3
    assert "service_unavailable" in execution.retry_reason


async def test_rate_limit_honours_retry_after(harness: Harness) -> None:
    spec, project = await setup()
    harness.server.script(
        "You create characters", http_error(429, headers={"Retry-After": "7"}), text("ok")
    )
    result = await harness.make_runner().run(
        AgentTask(spec=spec, prompt="x", project_id=project.pk)
    )
    assert result.ok
    assert harness.sleeps.delays == [7.0]


async def test_non_retryable_error_fails_fast_and_is_recorded(harness: Harness) -> None:
    spec, project = await setup()
    harness.server.script("You create characters", http_error(401))
    result = await harness.make_runner().run(
        AgentTask(spec=spec, prompt="x", project_id=project.pk)
    )
    assert result.status == "failed"
    assert len(harness.server.requests) == 1 and harness.sleeps.delays == []
    execution = await Execution.objects.aget(execution_id=result.execution_id)
    assert execution.status == "failed"
    assert execution.error_type == "authentication_error"
    assert "ALADDIN_LLM_API_KEY" in execution.error["message"]


async def test_breaker_opens_half_opens_and_closes(harness: Harness) -> None:
    spec, project = await setup()
    runner = harness.make_runner(attempts=1)
    harness.server.script("You create characters", *[http_error(503)] * 5)
    for _ in range(5):
        failed = await runner.run(AgentTask(spec=spec, prompt="x", project_id=project.pk))
        assert failed.status == "failed"
    breaker = harness.breakers.get(PRICED_MODEL)
    assert breaker.snapshot()["state"] == "open"

    refused = await runner.run(AgentTask(spec=spec, prompt="x", project_id=project.pk))
    assert refused.error is not None and refused.error.type == "circuit_open"
    assert len(harness.server.requests) == 5, "an open breaker must not call the provider"

    harness.clock.advance(60)
    assert breaker.snapshot()["state"] == "half-open"
    for _ in range(2):
        ok = await runner.run(AgentTask(spec=spec, prompt="x", project_id=project.pk))
        assert ok.ok
    assert breaker.snapshot()["state"] == "closed"


async def test_invalid_json_is_repaired_once(harness: Harness) -> None:
    spec, project = await setup()
    harness.server.script(
        "You create characters",
        text("Sure! Here it is: {summary: nope"),
        json_reply({"summary": "fixed", "names": []}),
    )
    result = await harness.make_runner().run(
        AgentTask(spec=spec, prompt="x", output_schema=ANSWER_SCHEMA, project_id=project.pk)
    )
    assert result.ok and result.output["summary"] == "fixed"
    assert "could not be used" in harness.server.requests[1]["messages"][-1]["content"]


async def test_json_still_invalid_after_repair_fails_and_keeps_raw_text(harness: Harness) -> None:
    spec, project = await setup()
    harness.server.script("You create characters", text("not json"), json_reply({"summary": 3}))
    result = await harness.make_runner().run(
        AgentTask(spec=spec, prompt="x", output_schema=ANSWER_SCHEMA, project_id=project.pk)
    )
    assert result.status == "failed"
    execution = await Execution.objects.aget(execution_id=result.execution_id)
    assert execution.error_type == "validation_error"
    assert execution.raw_output == json.dumps({"summary": 3})


async def test_unknown_model_price_records_cost_as_unknown(harness: Harness) -> None:
    spec, project = await setup(model="openai/aladdin-house-model")
    harness.server.script("You create characters", text("hello"))
    result = await harness.make_runner().run(
        AgentTask(spec=spec, prompt="x", project_id=project.pk)
    )
    assert result.ok
    execution = await Execution.objects.aget(execution_id=result.execution_id)
    assert execution.cost is None  # unknown, not zero
    assert execution.total_tokens > 0


async def test_oversized_input_is_refused_as_context_too_large(harness: Harness) -> None:
    spec, project = await setup()
    result = await harness.make_runner().run(
        AgentTask(spec=spec, prompt="word " * 20_000, project_id=project.pk)
    )
    assert result.error is not None and result.error.type == "context_too_large"
    assert harness.server.requests == []


async def test_output_is_capped_by_role_limits(harness: Harness) -> None:
    spec, project = await setup()
    await harness.make_runner().run(AgentTask(spec=spec, prompt="x", project_id=project.pk))
    assert harness.server.requests[0]["max_tokens"] == 2000  # specialist maxOutput


async def test_metrics_are_correct_after_20_concurrent_runs(harness: Harness) -> None:
    spec, project = await setup()
    harness.server.script("You create characters", *[http_error(400)] * 5)
    runner = harness.make_runner()
    results = await asyncio.gather(
        *[
            runner.run(AgentTask(spec=spec, prompt=f"run {i}", project_id=project.pk))
            for i in range(20)
        ]
    )
    assert sum(r.ok for r in results) == 15
    agent = await Agent.objects.aget(agent_id=spec.agent_id)
    assert agent.total_executions == 20
    assert agent.successful_executions == 15
    assert agent.success_rate == pytest.approx(75.0)
    executions = [e async for e in Execution.objects.filter(agent=agent)]
    assert agent.total_tokens_used == sum(e.total_tokens for e in executions)
    assert agent.last_executed_at is not None


async def test_demo_model_answers_schema_valid_placeholders(harness: Harness) -> None:
    spec, project = await setup(model="aladdin/demo")
    result = await harness.make_runner().run(
        AgentTask(spec=spec, prompt="x", output_schema=ANSWER_SCHEMA, project_id=project.pk)
    )
    assert result.ok
    assert "demo" in result.output["summary"]
    assert harness.server.requests == [], "the demo model never calls the network"
