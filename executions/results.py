"""An orchestration's result for people: its score and why it stopped.

Shared by the admin and the dashboard, so both say the same thing.
"""

from __future__ import annotations

from executions.models import Execution


def run_score(root: Execution) -> float | None:
    """The overall quality (0-100) of a completed run, from its row or its response."""
    if root.overall_score is not None:
        return root.overall_score
    value = (root.output or {}).get("overallQuality")
    return None if value is None or root.status != Execution.Status.COMPLETED else float(value)


def run_decision(root: Execution) -> str:
    return root.decision or str((root.output or {}).get("decision", ""))


def recommendation(root: Execution) -> str:
    """Only a completed run recommends anything; a stopped one has nothing to ingest."""
    if root.status != Execution.Status.COMPLETED:
        return ""
    return str((root.output or {}).get("recommendation", ""))


def error_message(root: Execution) -> str:
    error = root.error or (root.output or {}).get("error") or {}
    return str(error.get("message", "")) if isinstance(error, dict) else str(error)


def stop_reason(root: Execution) -> str:
    if root.status == Execution.Status.COMPLETED:
        return "Finished: every department that ran has reported."
    message = error_message(root)
    if root.status == Execution.Status.CANCELLED:
        return f"Cancelled: {message}" if message else "Cancelled."
    if root.status == Execution.Status.FAILED:
        kind = root.error_type or (root.error or {}).get("type", "")
        return (
            f"Failed ({kind}): {message}" if kind else f"Failed: {message or 'no reason recorded'}"
        )
    return ""
