"""Every event type of spec 5.1 is built with the payload fields of spec 5.2."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine import events
from engine.events import EVENT_FIELDS, Event

ROOT = "exec-123"
BUILDERS: dict[str, Callable[[], Event]] = {
    "orchestration-start": lambda: events.orchestration_start(ROOT, "p", "Make a hero", "medium"),
    "department-assigned": lambda: events.department_assigned(ROOT, "character", 0.95, 5000),
    "department-head-start": lambda: events.department_head_start(
        ROOT, "character", "character-head-001", "do it", "d1"
    ),
    "specialist-spawned": lambda: events.specialist_spawned(
        ROOT, "character", "character-creator-001", "profile", 2000, 1
    ),
    "specialist-executing": lambda: events.specialist_executing(
        ROOT, "character", "character-creator-001", 0.45, "Analyzing traits"
    ),
    "specialist-complete": lambda: events.specialist_complete(
        ROOT, "character", "character-creator-001", {"name": "Hero"}, 87.0, 2340, "accept", "s1"
    ),
    "department-review": lambda: events.department_review(
        ROOT,
        "character",
        "character-head-001",
        {"quality": 87.0, "relevance": 92.0, "consistency": 85.0, "overall": 88.0},
        "accept",
        [],
        ["Consider adding more backstory"],
        "d1",
    ),
    "department-complete": lambda: events.department_complete(
        ROOT, "character", [{"name": "Hero"}], "completed", "d1"
    ),
    "quality-validation": lambda: events.quality_validation(ROOT, 88.0, 85.0, "accept", []),
    "brain-storage": lambda: events.brain_storage(ROOT, True, 3),
    "orchestration-complete": lambda: events.orchestration_complete(
        ROOT,
        {"recommendation": "ingest"},
        {"totalTime": 8234, "tokensUsed": 4521, "agentsSpawned": 7},
    ),
    "error": lambda: events.error(ROOT, "boom", {"type": "unknown_error"}),
    "orchestration-plan": lambda: events.orchestration_plan(
        ROOT,
        {
            "departments": [{"department": "character", "relevance": 0.9, "maxSpecialists": 1}],
            "omitted": [{"department": "audio", "agent": None, "reason": "budget"}],
            "estimatedTokens": 42000,
        },
    ),
    "agent-loop-detected": lambda: events.agent_loop_detected(
        ROOT, "character", "character-creator-001", "repeat", ("search({})",) * 3, "stop", "s1"
    ),
    "orchestration-paused": lambda: events.orchestration_paused(
        ROOT, "budget_paused", "tokens", {"tokensUsed": 900}
    ),
    "approval-requested": lambda: events.approval_requested(ROOT, 3, "ingest"),
}
SPEC_TYPES = 12


def test_there_is_a_builder_for_each_of_the_12_spec_types_and_our_four() -> None:
    assert len(EVENT_FIELDS) == SPEC_TYPES + 4
    assert set(BUILDERS) == set(EVENT_FIELDS)


@pytest.mark.parametrize("event_type", list(EVENT_FIELDS))
def test_event_has_its_type_and_required_fields(event_type: str) -> None:
    event = BUILDERS[event_type]()
    assert event.type == event_type
    assert set(EVENT_FIELDS[event_type]) <= set(event.payload)
    assert event.payload["executionId"] == ROOT


def test_scores_in_events_are_fractions_as_in_spec_5_2() -> None:
    complete = BUILDERS["specialist-complete"]()
    assert complete.payload["qualityScore"] == pytest.approx(0.87)
    review = BUILDERS["department-review"]()
    assert review.payload["scores"]["overall"] == pytest.approx(0.88)


def test_progress_is_clamped_between_0_and_1() -> None:
    event = events.specialist_executing(ROOT, "story", "x", 1.7, "step")
    assert event.payload["progress"] == 1.0
