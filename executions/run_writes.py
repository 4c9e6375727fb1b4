"""The recorder's row writes, written behind (see executions.events._Writer).

A recorder does not wait for its rows: start() names the run (a uuid4) and queues
its INSERT, finish() and record_review() queue their UPDATE, and the writer of the
event loop writes everything queued in one thread hop and one transaction, before the
events of that hop (so an event never names a run whose row is not committed).
Consecutive INSERTs become one bulk INSERT per level of the tree (a child needs its
parent's row id); every status change stays a conditional UPDATE, so a run still ends
exactly once, and what an UPDATE did (`moved`) is handed back to the recorder after
the commit. A batch that fails is rolled back and replayed one operation at a time,
so a bad operation fails alone.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from departments.models import Department
from executions.fixed_sql import RowUpdate, insert_rows, update_each
from executions.models import Execution

logger = logging.getLogger(__name__)


@dataclass
class RunRows:
    """What one recorder knows of its runs' rows: ids and status histories. Written
    only inside the writer's thread hop, after a batch commits."""

    pks: dict[str, int] = field(default_factory=dict)
    history: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)
    lost: set[str] = field(default_factory=set)  # runs whose INSERT failed


@dataclass(eq=False)
class RunOp:
    """One queued write of one run: an INSERT (`row`), a conditional status change
    (`status`, moving only from `allowed`), or a plain UPDATE of `fields`.
    `after(moved)` runs on the event loop once the write is committed."""

    execution_id: str
    rows: RunRows
    row: Execution | None = None
    parent_id: str | None = None
    root_id: str | None = None
    status: str = ""
    allowed: tuple[str, ...] = ()
    at: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    department: str | None = None
    after: Callable[[RunOp], None] | None = None
    moved: bool = False
    error: BaseException | None = None
    # (agent pk, kind, department pk) of a run this recorder did not start, read
    # with its row id; the recorder needs them to count the run in the metrics.
    facts: tuple[int | None, str, int | None] | None = None


Known = tuple[int, list[dict[str, str]], tuple[int | None, str, int | None]]


class _Batch:
    """Row ids and histories learnt inside the transaction; kept only if it commits."""

    def __init__(self) -> None:
        self.pks: dict[tuple[int, str], int] = {}
        self.history: dict[tuple[int, str], list[dict[str, str]]] = {}
        self.known: dict[str, Known] = {}
        self.inserted: dict[int, Execution] = {}  # by id(op)

    def pk(self, rows: RunRows, execution_id: str | None) -> int | None:
        if execution_id is None:
            return None
        found = self.pks.get((id(rows), execution_id)) or rows.pks.get(execution_id)
        if found is None and execution_id in self.known:
            found = self.known[execution_id][0]
        return found

    def history_of(self, rows: RunRows, execution_id: str) -> list[dict[str, str]]:
        found = self.history.get((id(rows), execution_id)) or rows.history.get(execution_id)
        if found is None:
            found = self.known[execution_id][1] if execution_id in self.known else []
        return found

    def keep(self, ops: list[RunOp]) -> None:
        by_id = {id(op.rows): op.rows for op in ops}
        for op in ops:
            op.row = self.inserted.get(id(op), op.row)
        for (rows_id, run), pk in self.pks.items():
            by_id[rows_id].pks[run] = pk
        for (rows_id, run), history in self.history.items():
            by_id[rows_id].history[run] = history
        for run, (pk, history, _) in self.known.items():  # the root's, say: read once
            for rows in by_id.values():
                rows.pks.setdefault(run, pk)
                rows.history.setdefault(run, history)


def write_runs(ops: list[RunOp]) -> None:
    """All of `ops` in one transaction; if that fails, each on its own."""
    if not ops:
        return
    batch = _Batch()
    try:
        with _transaction(ops):
            _apply(ops, batch)
    except Exception:
        logger.warning("A batch of %d run writes failed; writing them one by one.", len(ops))
        for op in ops:
            _write_alone(op)
        return
    batch.keep(ops)


def _write_alone(op: RunOp) -> None:
    batch = _Batch()
    op.moved, op.error = False, None
    try:
        with _transaction([op]):
            _apply([op], batch)
    except Exception as exc:
        op.error, op.moved = exc, False
        if op.row is not None:
            op.rows.lost.add(op.execution_id)
        logger.exception("Run %s: a write failed and is not recorded.", op.execution_id)
        return
    batch.keep([op])


def _transaction(ops: list[RunOp]) -> AbstractContextManager[Any]:
    """One op writes at most one row with one statement: no BEGIN/COMMIT around it,
    except inside a caller's transaction, where a savepoint keeps its failure apart."""
    if len(ops) > 1 or connection.in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()


def _apply(ops: list[RunOp], batch: _Batch) -> None:
    """In order; INSERTs wait to be written together until a child needs its parent's
    id, and a later write of a run not yet inserted is folded into its INSERT."""
    _look_up(ops, batch)
    pending: dict[tuple[int, str], tuple[RunOp, Execution]] = {}
    updates = _Updates(batch)
    for op in ops:
        key = (id(op.rows), op.execution_id)
        if op.row is not None:
            if any((id(op.rows), ref) in pending for ref in (op.parent_id, op.root_id)):
                _insert(pending, batch)  # its parent is in this group: insert it first
            # A copy: if the batch fails, each op is replayed from the row as queued.
            pending[key] = (op, copy.copy(op.row))
        elif key in pending:
            _fold(op, pending[key][1])
        else:
            updates.add(op)
    _insert(pending, batch)
    updates.write()


def _fold(op: RunOp, row: Execution) -> None:
    """What `_update` would do to the row, done to the row not yet inserted."""
    op.moved = not op.allowed or row.status in op.allowed
    if not op.moved:
        return
    for name, value in op.fields.items():
        setattr(row, name, value)
    if op.status:
        row.status = op.status
        row.status_history = [*row.status_history, {"status": op.status, "at": op.at}]


def _look_up(ops: list[RunOp], batch: _Batch) -> None:
    """What the batch needs of rows this writer did not insert (ids, histories, the
    facts metrics need) in one SELECT, and the departments' ids in another."""
    inserted = {(id(op.rows), op.execution_id) for op in ops if op.row is not None}
    wanted: set[str] = set()
    for op in ops:
        refs = (op.parent_id, op.root_id) if op.row is not None else (op.execution_id,)
        for ref in refs:
            if ref is None or (id(op.rows), ref) in inserted:
                continue
            if ref not in op.rows.pks or (op.status and ref not in op.rows.history):
                wanted.add(ref)
    if wanted:
        found = Execution.objects.filter(execution_id__in=wanted).values_list(
            "execution_id", "pk", "status_history", "agent_id", "kind", "department_id"
        )
        for run, pk, history, agent, kind, department in found:
            batch.known[str(run)] = (pk, list(history), (agent, kind, department))
    _departments(ops)


def _departments(ops: list[RunOp]) -> None:
    wanted = {
        op.department for op in ops if op.department and op.department not in op.rows.departments
    }
    if not wanted:
        return
    found = dict(Department.objects.filter(slug__in=wanted).values_list("slug", "pk"))
    for op in ops:
        if op.department in found:
            op.rows.departments[op.department] = found[op.department]


def _insert(pending: dict[tuple[int, str], tuple[RunOp, Execution]], batch: _Batch) -> None:
    if not pending:
        return
    for op, row in pending.values():
        row.parent_id = _required(batch, op, op.parent_id)
        row.root_id = _required(batch, op, op.root_id)
        if op.department is not None:
            row.department_id = op.rows.departments.get(op.department)
            if row.department_id is None:
                raise Department.DoesNotExist(f"No department {op.department}.")
    insert_rows([row for _, row in pending.values()])
    for key, (op, row) in pending.items():
        batch.pks[key] = row.pk
        batch.history[key] = row.status_history
        batch.inserted[id(op)] = row
        op.moved = True
    pending.clear()


def _required(batch: _Batch, op: RunOp, execution_id: str | None) -> int | None:
    pk = batch.pk(op.rows, execution_id)
    if execution_id is not None and pk is None:
        raise Execution.DoesNotExist(f"No execution {execution_id}.")
    return pk


class _Updates:
    """UPDATEs of rows already written, held so that those of different runs go to the
    database together (fixed_sql.update_each: one round trip on PostgreSQL). A run's
    second UPDATE sends what is held first: its history follows the first's, and only
    if that one moved. Held updates of rows inserted later in the batch are safe: no
    INSERT reads another run's status."""

    def __init__(self, batch: _Batch) -> None:
        self.batch = batch
        self.held: list[tuple[RunOp, RowUpdate, list[dict[str, str]] | None]] = []
        self.runs: set[tuple[int, str]] = set()

    def add(self, op: RunOp) -> None:
        """A plain UPDATE, or a status change (only from `allowed`) that appends to the
        run's history as this writer knows it."""
        run = (id(op.rows), op.execution_id)
        if run in self.runs:
            self.write()
        batch = self.batch
        pk = batch.pk(op.rows, op.execution_id)
        key, value = ("pk", pk) if pk is not None else ("execution_id", op.execution_id)
        if op.execution_id in batch.known:
            op.facts = batch.known[op.execution_id][2]
        where_in = ("status", op.allowed) if op.allowed else None
        history, fields = None, op.fields
        if op.status:
            history = [
                *batch.history_of(op.rows, op.execution_id),
                {"status": op.status, "at": op.at},
            ]
            fields = {"status": op.status, "status_history": history, **op.fields}
        self.held.append((op, RowUpdate(key, value, fields, where_in), history))
        self.runs.add(run)

    def write(self) -> None:
        if not self.held:
            return
        held, self.held = self.held, []
        self.runs.clear()
        counts = update_each(Execution, [update for _, update, _ in held])
        for (op, _, history), count in zip(held, counts, strict=True):
            op.moved = bool(count)
            if op.moved and history is not None:
                self.batch.history[(id(op.rows), op.execution_id)] = history
