"""The run_agent and orchestrate commands, end to end against the fake LLM server."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from agents.models import Agent
from brain.models import Project
from executions.models import Execution
from tests.executions.conftest import PLAN, by_agent, plan, selection
from tests.support.fake_llm import FakeLLMServer, call, json_reply, text, tool_calls

pytestmark = pytest.mark.django_db(transaction=True)


def test_run_agent_prints_output_tool_calls_tokens_and_cost(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(
        by_agent("character-creator-001"),
        tool_calls(call("search_brain", {"query": "keeper"})),
        text("A villain called Silas Crane."),
    )
    out = StringIO()
    call_command(
        "run_agent",
        "character-creator-001",
        "Create a villain",
        "--project",
        project.slug,
        stdout=out,
    )
    printed = out.getvalue()
    assert "completed" in printed and "Silas Crane" in printed
    assert "search_brain" in printed and "-> ok" in printed
    assert "tokens:" in printed and "$" in printed
    assert Execution.objects.get(kind="agent").status == "completed"


def test_run_agent_explains_an_unknown_agent(seeded: None) -> None:
    with pytest.raises(CommandError, match="No agent 'nobody'"):
        call_command("run_agent", "nobody", "hi")


def test_orchestrate_json_prints_only_the_execute_response(
    llm: FakeLLMServer, project: Project
) -> None:
    llm.script(PLAN, json_reply(plan(("character", 0.9))))
    llm.script(by_agent("character-head-001"), json_reply(selection("character-creator-001")))
    out = StringIO()
    call_command("orchestrate", "Create a villain", "--project", project.slug, "--json", stdout=out)
    response = json.loads(out.getvalue())
    assert response["status"] == "completed"
    assert response["recommendation"] in {"ingest", "modify", "discard"}
    assert response["metrics"]["agentsSpawned"] == 1


def test_orchestrate_shows_live_progress_and_the_report(
    llm: FakeLLMServer, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    llm.latency = 0.05
    call_command("orchestrate", "Outline episode 3", "--project", project.slug)
    printed = capsys.readouterr().out
    assert "story" in printed and "100%" in printed
    assert "Recommendation" in printed


def test_orchestrate_piped_to_a_file_starts_the_report_on_a_line_of_its_own(
    llm: FakeLLMServer, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    # capsys is not a terminal, as a log file or a pipe is not: the final progress
    # table must end its last line before the report's panel begins.
    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    call_command("orchestrate", "Outline episode 3", "--project", project.slug)
    lines = capsys.readouterr().out.splitlines()
    report = next(n for n, line in enumerate(lines) if "Result" in line)
    assert lines[report].lstrip().startswith("\u256d")  # the panel's top-left corner
    assert any(line.strip().startswith("story") for line in lines[:report])


def test_orchestrate_in_a_terminal_redraws_the_table_live(
    llm: FakeLLMServer,
    project: Project,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # Rich's switch: treat stdout as a terminal
    llm.script(PLAN, json_reply(plan(("story", 0.9))))
    llm.latency = 0.05
    call_command("orchestrate", "Outline episode 3", "--project", project.slug)
    printed = capsys.readouterr().out
    assert "\x1b[2K" in printed  # erase-line: the table was redrawn in place
    assert "story" in printed and "100%" in printed and "Recommendation" in printed


def test_orchestrate_refuses_an_unknown_project(seeded: None) -> None:
    with pytest.raises(CommandError, match="No project 'nope'"):
        call_command("orchestrate", "x", "--project", "nope")


def test_orchestrate_says_how_the_run_ended_and_what_the_budget_left_out(
    llm: FakeLLMServer, default_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    Agent.objects.update(estimated_tokens_per_run=0)  # every agent at its role's limit
    llm.script(PLAN, json_reply(plan(("character", 0.9), ("story", 0.8), ("audio", 0.7))))
    call_command("orchestrate", "Create a villain", "--project", default_project.slug)
    printed = capsys.readouterr().out
    assert "Stopped: completed" in printed or "Stopped: budget_exhausted" in printed
    assert "Left out" in printed and "audio" in printed and "planned out" in printed
