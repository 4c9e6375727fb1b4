"""One validator for request options (spec 10.2), and the edges that use it: a refused
request is a clear one-line error and leaves no row behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from brain.models import Project
from executions.models import Execution
from executions.requests import RequestInvalid, RequestOptions, validate_request

ROOT = Path(__file__).resolve().parents[2]


def errors_of(prompt: object, options: dict[str, object] | None = None) -> dict[str, list[str]]:
    with pytest.raises(RequestInvalid) as caught:
        validate_request(prompt, options)
    return caught.value.errors


def test_a_valid_request_comes_back_trimmed_with_its_options() -> None:
    valid = validate_request(
        "  Create a villain  ", {"maxTokens": 5000, "qualityThreshold": 75, "priority": "high"}
    )
    assert valid.prompt == "Create a villain"
    assert valid.options == RequestOptions(priority="high", max_tokens=5000, quality_threshold=75)


def test_defaults_apply_when_options_are_left_out() -> None:
    assert validate_request("Go").options == RequestOptions()


@pytest.mark.parametrize(
    ("prompt", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 10_001, "10,000"),
        ("a\x00b", "NUL"),
        (42, "text"),
        (b"\xff\xfe villain", "UTF-8"),
        ("villain \udcff", "UTF-8"),  # how Python hands over non-UTF-8 command-line bytes
    ],
)
def test_a_prompt_is_1_to_10000_characters_of_utf8_text(prompt: object, reason: str) -> None:
    assert reason in " ".join(errors_of(prompt)["userPrompt"])


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"maxTokens": -5}, "maxTokens"),
        ({"maxTokens": 99}, "maxTokens"),
        ({"maxTokens": 50_001}, "maxTokens"),
        ({"maxTokens": 1.5}, "maxTokens"),
        ({"maxTokens": True}, "maxTokens"),
        ({"qualityThreshold": 1000}, "qualityThreshold"),
        ({"qualityThreshold": float("nan")}, "qualityThreshold"),
        ({"qualityThreshold": -1}, "qualityThreshold"),
        ({"priority": "asap"}, "priority"),
        ({"budget": 5}, "options"),
    ],
)
def test_out_of_range_options_are_refused_by_name(options: dict[str, object], field: str) -> None:
    assert list(errors_of("Create a villain", options)) == [field]


def test_every_problem_is_reported_at_once_in_one_line() -> None:
    with pytest.raises(RequestInvalid) as caught:
        validate_request("", {"maxTokens": -5, "priority": "asap"})
    assert set(caught.value.errors) == {"userPrompt", "maxTokens", "priority"}
    assert "\n" not in str(caught.value)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "flags",
    [
        ["--max-tokens", "-5"],
        ["--max-tokens", "1000000"],
        ["--quality-threshold", "1000"],
        ["--quality-threshold", "nan"],
    ],
)
def test_orchestrate_refuses_bad_options_in_one_line_and_writes_nothing(
    seeded: None, flags: list[str]
) -> None:
    project = Project.objects.get(slug="the-lantern-keepers")
    with pytest.raises(CommandError) as caught:
        call_command("orchestrate", "Create a villain", "--project", project.slug, *flags)
    assert str(caught.value).startswith("Invalid request:")
    assert "\n" not in str(caught.value)
    assert not Execution.objects.exists()


@pytest.mark.django_db
def test_run_agent_refuses_a_prompt_that_is_not_utf8(seeded: None) -> None:
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("run_agent", "character-creator-001", "villain \udcff")
    assert not Execution.objects.exists()


@pytest.mark.parametrize(
    "argv",
    [
        [b"orchestrate", b"--project", b"any", b"--max-tokens", b"-5", b"Create a villain"],
        [b"orchestrate", b"--project", b"any", b"Create a \xff\xfe villain"],
    ],
)
def test_the_command_line_answers_bad_input_without_a_traceback(
    argv: list[bytes], tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DEBUG": "true",
        "SECRET_KEY": "test",
        "ALADDIN_TESTING": "true",
        # Its own empty database: the input is refused before any run is stored.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable.encode(), b"manage.py", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    stderr = done.stderr.decode("utf-8", "replace").strip()
    assert done.returncode == 1
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1].startswith("CommandError: Invalid request:")
