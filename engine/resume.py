"""Checkpoints: every finished agent run of an orchestration is reused when the
orchestration runs again (resumed after a crash, retried after a failure).

Each run the engine starts carries a checkpoint key in its params: a digest of
what determines its answer (kind, agent, parent run, prompt, feedback, attempt).
Resuming, the orchestrator asks its recorder for the runs of the root
(`RunRecorder.checkpoints`) and, for a run with the same key that completed,
takes the recorded result instead of calling the model: no call, no new cost.
Containers (department rows) are reopened rather than duplicated, so the runs
under them keep their parent and their keys.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.ports import Checkpoint
from engine.runtime import AgentResult, AgentTask

if TYPE_CHECKING:
    from engine.shared import Totals

KEY_PARAM = "checkpoint"


def checkpoint_key(
    kind: str,
    agent_id: str,
    parent_id: str | None,
    prompt: str,
    attempt: int = 0,
    feedback: Sequence[str] = (),
) -> str:
    parts = [kind, agent_id, parent_id or "", prompt, str(attempt), *feedback]
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()[:40]


def task_key(task: AgentTask) -> str:
    # A review is of one recorded output: its prompt also holds the canon nearest to
    # that output, which may have grown since, and must not make it a different run.
    reviewing = task.params.get("reviewing") if task.kind == "review" else None
    return checkpoint_key(
        task.kind,
        task.spec.agent_id,
        task.parent_id,
        f"review of {reviewing}" if reviewing else task.prompt,
        task.retry_count,
        tuple(task.feedback),
    )


@dataclass
class Checkpoints:
    """The finished runs of one root, by key; each is reused at most once."""

    completed: dict[str, list[Checkpoint]]
    containers: dict[str, list[Checkpoint]]
    leaves: list[Checkpoint] = field(default_factory=list)
    reused_ids: set[str] = field(default_factory=set)
    settled: bool = False

    @classmethod
    def of(cls, rows: Iterable[Checkpoint] = ()) -> Checkpoints:
        completed: dict[str, list[Checkpoint]] = {}
        containers: dict[str, list[Checkpoint]] = {}
        leaves = []
        for row in rows:
            if row.kind == "department":
                containers.setdefault(row.key, []).append(row)
                continue
            leaves.append(row)
            if row.status == "completed":
                completed.setdefault(row.key, []).append(row)
        return cls(completed, containers, leaves)

    @property
    def reused(self) -> int:
        return len(self.reused_ids)

    def settle(self, totals: Totals) -> None:
        """Add what earlier attempts paid for runs this one did not reuse (a failed
        run, a synthesis redone over more work), once: the root's cost is all it cost.
        A run interrupted before it finished recorded nothing and adds nothing."""
        if self.settled:
            return
        self.settled = True
        for row in self.leaves:
            if row.execution_id not in self.reused_ids and row.status in ("completed", "failed"):
                totals.add(_result(row, row.status))

    def reuse(self, task: AgentTask, key: str) -> AgentResult | None:
        """The recorded result of a completed run with this key, or None."""
        rows = self.completed.get(key)
        if not rows:
            return None
        row = rows.pop(0)
        self.reused_ids.add(row.execution_id)
        result = _result(row, "completed")
        result.root_id = task.root_id or row.execution_id
        return result

    def container(self, key: str) -> str | None:
        """The execution id of a department row to reopen, or None to start one."""
        rows = self.containers.get(key)
        return rows.pop(0).execution_id if rows else None


def _result(row: Checkpoint, status: str) -> AgentResult:
    return AgentResult(
        execution_id=row.execution_id,
        root_id=row.execution_id,
        status=status,
        output=row.output,
        raw_output=row.raw_output,
        model=row.model,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost=row.cost,
    )
