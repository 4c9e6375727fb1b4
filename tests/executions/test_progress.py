"""Progress folded from the event log: what the budget left out, loops, skipped work."""

from __future__ import annotations

from executions.progress import Progress


def test_progress_shows_what_was_left_out_loops_and_skipped_work() -> None:
    progress = Progress()
    omitted = [{"department": "audio", "agent": None, "reason": "budget", "stage": "plan"}]
    events = [
        ("orchestration-plan", {"departments": [], "omitted": omitted, "estimatedTokens": 9}),
        ("department-assigned", {"department": "character", "relevance": 0.9}),
        ("specialist-spawned", {"department": "character", "specialistId": "a", "attempt": 1}),
        ("specialist-spawned", {"department": "character", "specialistId": "b", "attempt": 1}),
        (
            "agent-loop-detected",
            {"department": "character", "agentId": "a", "pattern": "repeat", "action": "stop"},
        ),
        (
            "specialist-complete",
            {
                "department": "character",
                "specialistId": "a",
                "decision": "reject",
                "status": "failed",
            },
        ),
        (
            "specialist-complete",
            {"department": "character", "specialistId": "b", "decision": "", "status": "skipped"},
        ),
        ("department-complete", {"department": "character", "status": "skipped"}),
        ("error", {"error": "budget", "context": {"stopReason": "budget_exhausted"}}),
    ]
    for sequence, (type_, payload) in enumerate(events, start=1):
        progress.apply(sequence, type_, payload)

    assert progress.omitted == omitted
    assert progress.loops == ["a"]
    character = progress.departments["character"]
    assert character.specialists["a"].status == "failed"
    assert "loop detected" in character.specialists["a"].step
    assert character.specialists["b"].status == "skipped"
    assert character.fraction == 1.0 and progress.departments_complete == 1
    assert progress.stop_reason == "budget_exhausted"
