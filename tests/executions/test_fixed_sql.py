"""The fixed-SQL writes store what the ORM would: every field converted by its own
field, keys handed back in order, several statements as one transaction, and a
conditional UPDATE that moves only rows in the statuses allowed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import DateField, Model

from brain.models import Project
from executions.fixed_sql import (
    RowUpdate,
    _insert_fields,
    _insert_reads,
    insert_rows,
    update_each,
)
from executions.models import Execution, ExecutionEvent

pytestmark = pytest.mark.django_db


def update_one(
    key: str,
    value: object,
    fields: dict[str, object],
    where_in: tuple[str, tuple[str, ...]] | None = None,
) -> int:
    """One run update through update_each: how many rows it changed."""
    [changed] = update_each(Execution, [RowUpdate(key, value, fields, where_in)])
    return changed


def new_run(project: Project, **fields: object) -> Execution:
    return Execution(
        execution_id=uuid.uuid4(), kind=Execution.Kind.AGENT, project=project, **fields
    )


def test_inserted_rows_get_their_keys_in_order_and_read_back_as_written(
    project: Project,
) -> None:
    started = datetime(2026, 11, 30, 4, 30, tzinfo=UTC)
    rows = [
        new_run(project, prompt=f"run {n}", params={"n": n, "nested": [n, "ç"]}, started_at=started)
        for n in range(3)
    ]
    insert_rows(rows)
    for n, row in enumerate(rows):
        stored = Execution.objects.get(pk=row.pk)
        assert stored.execution_id == row.execution_id
        assert (stored.prompt, stored.params, stored.started_at) == (
            f"run {n}",
            {"n": n, "nested": [n, "ç"]},
            started,
        )
        assert stored.status == Execution.Status.PENDING  # the field's default
        assert not row._state.adding


def test_events_get_their_creation_time_as_auto_now_add_gives_it(project: Project) -> None:
    run = new_run(project)
    insert_rows([run])
    event = ExecutionEvent(execution=run, sequence=1, type="agent_started", payload={"a": 1})
    insert_rows([event])
    stored = ExecutionEvent.objects.get(pk=event.pk)
    assert event.created_at is not None
    assert stored.created_at == event.created_at
    assert stored.payload == {"a": 1}


def test_more_rows_than_one_statement_takes_are_all_inserted(project: Project) -> None:
    size = connection.ops.bulk_batch_size(
        [f for f in Execution._meta.concrete_fields if not f.primary_key], [new_run(project)]
    )
    rows = [new_run(project, prompt=str(n)) for n in range(size + 2)]
    insert_rows(rows)
    assert len({row.pk for row in rows}) == size + 2
    assert Execution.objects.filter(project=project).count() == size + 2


def test_update_converts_values_and_moves_only_from_the_allowed_statuses(
    project: Project,
) -> None:
    run = new_run(project, status=Execution.Status.RUNNING)
    insert_rows([run])
    ended = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    finish = {"status": "completed", "completed_at": ended, "cost": 0.0123456, "output": {"k": 1}}

    moved = update_one("pk", run.pk, finish, where_in=("status", ("running",)))
    again = update_one("pk", run.pk, {"status": "failed"}, where_in=("status", ("running",)))

    stored = Execution.objects.get(pk=run.pk)
    assert (moved, again) == (1, 0)
    assert (stored.status, stored.completed_at, stored.output) == ("completed", ended, {"k": 1})
    assert stored.cost == Decimal("0.012346")


class Recorded:
    """Each call through the connection's execute wrappers: (sql, many, parameter sets)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool, int]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.calls.append((sql, many, len(params) if many else 1))
        return execute(sql, params, many, context)


def test_on_postgresql_rows_are_inserted_by_one_text_sent_together(project: Project) -> None:
    rows = [new_run(project, prompt=str(n)) for n in range(4)]
    recorded = Recorded()

    with connection.execute_wrapper(recorded):
        insert_rows(rows)

    assert [row.prompt for row in Execution.objects.order_by("pk")] == ["0", "1", "2", "3"]
    sent = [(many, sets) for _, many, sets in recorded.calls]
    # A text of one row per statement: psycopg converts it once, the server prepares
    # it once. SQLite, in the process, takes as many rows per statement as it can.
    assert sent == ([(True, 4)] if connection.vendor == "postgresql" else [(False, 1)])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("model", None, IntegrityError),  # refused by the database: NOT NULL
        ("params", {"bad": object()}, TypeError),  # refused before sending: not JSON
    ],
)
def test_rows_inserted_together_are_all_stored_or_none(
    project: Project, field: str, value: object, error: type[Exception]
) -> None:
    rows = [new_run(project, prompt=str(n)) for n in range(3)]
    setattr(rows[1], field, value)

    with pytest.raises(error):
        insert_rows(rows)

    assert not Execution.objects.exists()


def test_each_update_reports_its_own_rows_and_shared_text_is_sent_together(
    project: Project,
) -> None:
    running = [new_run(project, status=Execution.Status.RUNNING) for _ in range(3)]
    ended = new_run(project, status=Execution.Status.FAILED)
    insert_rows([*running, ended])
    finish = {"status": "completed", "output": {"k": 1}}
    only_running = ("status", ("running",))
    updates = [
        RowUpdate("pk", running[0].pk, finish, only_running),
        RowUpdate("pk", ended.pk, finish, only_running),  # already ended: not moved
        RowUpdate("execution_id", str(running[1].execution_id), {"model": "m"}),
        RowUpdate("pk", running[2].pk, finish, only_running),
        RowUpdate("pk", 10**9, finish, only_running),  # no such row
    ]
    recorded = Recorded()

    with connection.execute_wrapper(recorded):
        counts = update_each(Execution, updates)

    assert counts == [1, 0, 1, 1, 0]
    statuses = dict(Execution.objects.values_list("pk", "status"))
    assert [statuses[run.pk] for run in (*running, ended)] == [
        "completed",
        "running",
        "completed",
        "failed",
    ]
    assert Execution.objects.get(pk=running[1].pk).model == "m"
    # Four updates of one text and one of another: on PostgreSQL the four are one
    # pipelined executemany; on SQLite every update is its own statement.
    sent = sorted((many, sets) for _, many, sets in recorded.calls)
    if connection.vendor == "postgresql":
        assert sent == [(False, 1), (True, 4)]
    else:
        assert sent == [(False, 1)] * 5


def test_a_failing_update_among_others_raises_and_its_transaction_changes_nothing(
    project: Project,
) -> None:
    runs = [new_run(project) for _ in range(3)]
    insert_rows(runs)
    # One statement's text for all three (pipelined on PostgreSQL); the second is refused:
    # the column is NOT NULL.
    models = ["m", None, "m"]
    updates = [RowUpdate("pk", r.pk, {"model": m}) for r, m in zip(runs, models, strict=True)]

    with pytest.raises(IntegrityError), transaction.atomic():
        update_each(Execution, updates)

    assert set(Execution.objects.values_list("model", flat=True)) == {""}


@pytest.mark.parametrize("model", [Execution, ExecutionEvent])
def test_each_inserted_value_is_read_as_its_fields_pre_save_gives_it(
    model: type[Model], project: Project
) -> None:
    run = new_run(project, prompt="p", started_at=datetime(2026, 12, 1, tzinfo=UTC))
    row = (
        run
        if model is Execution
        else ExecutionEvent(execution=run, sequence=1, type="t", payload={"a": 1})
    )
    for field, read in zip(_insert_fields(model), _insert_reads(model), strict=True):
        on_save = isinstance(field, DateField) and (field.auto_now or field.auto_now_add)
        if on_save:  # a date set on save: read through pre_save itself, which sets it
            assert read(row) == getattr(row, field.attname) is not None
        else:
            assert read(row) == field.pre_save(row, True), field.name


def test_update_by_run_id_finds_the_row_without_its_key(project: Project) -> None:
    run = new_run(project)
    insert_rows([run])
    changed = update_one("execution_id", str(run.execution_id), {"model": "m"})
    assert changed == 1
    assert Execution.objects.get(pk=run.pk).model == "m"


def test_each_shortcut_converts_a_value_as_the_field_itself_does() -> None:
    from django.db import connections

    from executions.fixed_sql import _converter

    db = connections["default"]
    samples = {
        "prompt": "Écris une scène",
        "status": "running",
        "started_at": datetime(2026, 11, 30, 4, 30, 5, 123456, tzinfo=UTC),
        "input_tokens": 1234,
        "quality_score": 87.5,
        "cancel_requested": True,
        "project": 7,
        "cost": 0.1234567,
        "execution_id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    }
    for name, value in samples.items():
        field = Execution._meta.get_field(name)
        expected = field.get_db_prep_save(value, db)
        assert _converter(field, db.vendor)(value, db) == expected, name


def test_an_unsaved_row_is_the_model_with_its_defaults_and_the_values_given() -> None:
    from executions.fixed_sql import unsaved_row

    values = {"execution_id": str(uuid.uuid4()), "kind": "specialist", "agent_id": 3}
    made, built = unsaved_row(Execution, **values), Execution(**values)

    assert {k: v for k, v in vars(made).items() if k != "_state"} == {
        k: v for k, v in vars(built).items() if k != "_state"
    }
    assert made._state.adding and made.pk is None
    assert made.params is not unsaved_row(Execution, **values).params  # fresh defaults
