"""INSERTs and UPDATEs of the rows every agent run writes, as fixed SQL text.

Each agent run inserts its Execution row, updates it two or three times and inserts
a few events. Through the ORM each of those statements is a Query built, compiled and
thrown away: with 20 orchestrations at once that was about a fifth of the process's
CPU (`make bench` profile). Here the SQL text of each shape is made once and cached,
and each field's conversion of a value is chosen once: values of the plain types a
column stores unchanged pass as they are, JSON is serialised by orjson, and everything
else goes through the field's own `get_db_prep_save`, as the ORM would. No signals
are sent (as with the `bulk_create` and `update` this replaces).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import (
    AutoField,
    BigAutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Field,
    FloatField,
    IntegerField,
    JSONField,
    Model,
    TextField,
    UUIDField,
)
from django.db.models.base import ModelState
from psycopg.types.json import Jsonb

from engine import jsontext

M = TypeVar("M", bound=Model)


def unsaved_row(model: type[M], **values: Any) -> M:
    """`model(**values)` for a row about to go to insert_rows: every field's default,
    then `values` by attribute name (`agent_id`, not `agent`). No pre_init/post_init
    signals are sent (no model here has receivers); about a fifth of the cost of
    Model.__init__, which every agent run and event paid."""
    row = model.__new__(model)
    row._state = ModelState()
    fields = row.__dict__
    for attname, default in _defaults(model):
        fields[attname] = default()
    fields.update(values)
    return row


@functools.cache
def _defaults(model: type[Model]) -> tuple[tuple[str, Callable[[], Any]], ...]:
    # Field._get_default: the per-field default maker Model.__init__ itself calls.
    return tuple((f.attname, f._get_default) for f in model._meta.concrete_fields)  # type: ignore[attr-defined]


def insert_rows(rows: Sequence[Model]) -> None:
    """INSERT `rows` (all of one model, none saved yet) and set their primary keys: on
    SQLite in as few statements as its parameter limit allows (as with bulk_create,
    the keys come back from RETURNING in the order of the VALUES), on PostgreSQL a
    statement per row, pipelined (_insert_pipelined)."""
    if not rows:
        return
    model = type(rows[0])
    db = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a thread-local lookup
    fields = _insert_fields(model)
    converters = [_converter(f, db.vendor) for f in fields]
    if db.vendor == "postgresql":
        _insert_pipelined(model, rows, db, converters)
        return
    size = max(1, db.ops.bulk_batch_size(list(fields), list(rows)))
    # Like bulk_create: several statements are one transaction, all rows or none.
    whole = transaction.atomic(savepoint=False) if len(rows) > size else nullcontext()
    reads = _insert_reads(model)
    with whole, db.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params = [
                convert(read(row), db)
                for row in chunk
                for read, convert in zip(reads, converters, strict=True)
            ]
            cursor.execute(_insert_sql(model, db.vendor, len(chunk)), params)
            for row, (key,) in zip(chunk, cursor.fetchall(), strict=True):
                _saved(row, key, db)


def _insert_pipelined(
    model: type[Model], rows: Sequence[Model], db: Any, converters: Sequence[Converter]
) -> None:
    """insert_rows on PostgreSQL: a one-row INSERT per row, sent together (psycopg
    pipelines an executemany), each returning its key. A many-row VALUES text has a
    parameter per value, and psycopg converts a text of more than 50 parameters anew
    on every call (its cache skips them): that was about 40% of the ORM thread's time
    inserting runs in W3 (`make bench`). This text is converted once, and the server
    prepares it once per connection. As with one statement, the rows go in together or
    not at all: what a pipeline sends before its sync is one transaction."""
    reads = _insert_reads(model)
    param_list = [
        [convert(read(row), db) for read, convert in zip(reads, converters, strict=True)]
        for row in rows
    ]
    sql = _insert_sql(model, db.vendor, 1)
    with db.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(sql, param_list[0])
        else:
            cursor._execute_with_wrappers(sql, param_list, True, _returning_each(cursor))
        results = cursor.cursor
        for row in rows:
            (key,) = results.fetchone()
            _saved(row, key, db)
            results.nextset()


def _returning_each(cursor: Any) -> Callable[[str, Any, bool, Any], None]:
    """An executor for CursorWrapper._execute_with_wrappers, so that whatever observes
    the connection's statements (Django's execute wrappers) observes these: psycopg's
    executemany keeping each statement's result."""

    def pipelined(sql: str, param_list: Any, many: bool, context: Any) -> None:
        with cursor.db.wrap_database_errors:
            cursor.cursor.executemany(sql, param_list, returning=True)

    return pipelined


def _saved(row: Model, key: Any, db: Any) -> None:
    pk = row._meta.pk
    assert pk is not None
    setattr(row, pk.attname, key)
    row._state.adding, row._state.db = False, db.alias


@dataclass(frozen=True)
class RowUpdate:
    """An UPDATE of the row(s) whose `key` field equals `value` (and, with `where_in`,
    whose field is one of the values given) to `fields`."""

    key: str
    value: Any
    fields: dict[str, Any]
    where_in: tuple[str, Sequence[Any]] | None = None


def update_each(model: type[Model], updates: Sequence[RowUpdate]) -> list[int]:
    """Each of `updates`, each of a different row (so their order does not matter);
    how many rows each changed. Updates of the same fields under the same
    condition share one statement's text, sent once per row through changed_counts."""
    db = connections[DEFAULT_DB_ALIAS]
    groups: dict[str, tuple[list[int], list[list[Any]]]] = {}
    for index, update in enumerate(updates):
        sql, params = _update_statement(model, db, update)
        indexes, param_list = groups.setdefault(sql, ([], []))
        indexes.append(index)
        param_list.append(params)
    counts = [0] * len(updates)
    pk = model._meta.pk
    assert pk is not None
    with db.cursor() as cursor:
        for sql, (indexes, param_list) in groups.items():
            changed = changed_counts(cursor, sql, param_list, returning=_quoted(pk.column))
            for index, count in zip(indexes, changed, strict=True):
                counts[index] = count
    return counts


def _update_statement(model: type[Model], db: Any, update: RowUpdate) -> tuple[str, list[Any]]:
    names, where_in, vendor = tuple(update.fields), update.where_in, db.vendor
    condition = (where_in[0], len(where_in[1])) if where_in else None
    sql = _update_sql(model, vendor, names, update.key, condition)
    fields = update.fields
    converters = _converters(model, vendor, names)
    params = [convert(fields[n], db) for n, convert in zip(names, converters, strict=True)]
    params.append(_converters(model, vendor, (update.key,))[0](update.value, db))
    if where_in:
        convert = _converters(model, vendor, (where_in[0],))[0]
        params += [convert(v, db) for v in where_in[1]]
    return sql, params


@functools.cache
def _converters(model: type[Model], vendor: str, names: tuple[str, ...]) -> tuple[Converter, ...]:
    """The converters of the named fields, found once per shape: looking a field up
    and hashing it into _converter's cache, per value, was about 3% of W2's CPU."""
    return tuple(_converter(_field(model._meta, name), vendor) for name in names)


@functools.cache
def _insert_reads(model: type[Model]) -> tuple[Callable[[Model], Any], ...]:
    """How each inserted field's value is read from an unsaved row: its `pre_save`
    where that does something (a date set on save), else the attribute itself, which
    is all Field.pre_save does, without the method call per value."""
    reads: list[Callable[[Model], Any]] = []
    for field in _insert_fields(model):
        if _plain_pre_save(field):
            reads.append(operator.attrgetter(field.attname))
        else:
            reads.append(functools.partial(field.pre_save, add=True))
    return tuple(reads)


def _plain_pre_save(field: Field[Any, Any]) -> bool:
    if isinstance(field, DateField):  # DateTimeField too: overridden for auto_now(_add)
        return not (field.auto_now or field.auto_now_add)
    return type(field).pre_save is Field.pre_save


def changed_counts(
    cursor: Any, sql: str, param_list: Sequence[Sequence[Any]], *, returning: str
) -> list[int]:
    """Run the UPDATE `sql` once per parameter list (each on different rows); how many
    rows each changed. On PostgreSQL they go to the server together, in one round trip
    (psycopg pipelines an executemany), each with `RETURNING returning` to tell what it
    changed: one round trip per UPDATE had the ORM's thread waiting on the server for
    most of 10 orchestrations at once (`make bench`, W3). Elsewhere, one execute each:
    SQLite is in the process, with no round trip to save."""
    if cursor.db.vendor != "postgresql" or len(param_list) < 2:
        counts = []
        for params in param_list:
            cursor.execute(sql, params)
            counts.append(int(cursor.rowcount))
        return counts

    statement = f"{sql} RETURNING {returning}"
    cursor._execute_with_wrappers(statement, param_list, True, _returning_each(cursor))
    results, counts = cursor.cursor, []
    while True:
        counts.append(len(results.fetchall()))
        if not results.nextset():
            return counts


Converter = Callable[[Any, Any], Any]  # (value, database wrapper) -> database value


@functools.cache
def _converter(field: Any, vendor: str) -> Converter:
    """How `field` turns a value into what the driver takes: the common types by a
    shortcut that gives what Django's own conversion gives, the rest by Django.
    Per field `get_db_prep_save` was about a tenth of W2's CPU."""
    django: Converter = field.get_db_prep_save

    if isinstance(field, JSONField) and field.encoder is None:
        # What JSONField would store, serialised by orjson (engine/jsontext.py).
        def json_value(value: Any, db: Any) -> Any:
            if value is None:
                return None
            if vendor == "postgresql":
                # Serialised here, not when psycopg sends it: a value that is not JSON
                # fails before a pipelined executemany has sent (and, outside a
                # transaction, committed) the statements ahead of it.
                return Jsonb(jsontext.dumps_bytes(value), dumps=_serialised)
            return jsontext.dumps(value)

        return json_value
    exact = _identity_type(field, vendor)
    if exact is not None:
        return lambda value, db: (
            value if value is None or type(value) is exact else django(value, db)
        )
    if isinstance(field, DateTimeField) and vendor == "sqlite":
        return _sqlite_datetime(django)
    return django


def _serialised(text: bytes) -> bytes:
    return text


def _identity_type(field: Any, vendor: str) -> type | None:
    """The Python type a field stores unchanged on this database, if any."""
    target = getattr(field, "target_field", field)  # a foreign key stores its target's
    if isinstance(target, CharField | TextField) and not isinstance(target, UUIDField):
        return str
    if isinstance(target, BooleanField):
        return bool
    if isinstance(target, FloatField):
        return float
    if isinstance(target, DateTimeField) and vendor == "postgresql":
        return datetime  # psycopg takes aware datetimes as they are
    if isinstance(target, IntegerField | AutoField | BigAutoField) and vendor == "sqlite":
        return int  # on PostgreSQL Django wraps ints in sized types: its path does that
    return None


def _sqlite_datetime(django: Converter) -> Converter:
    """An aware datetime as SQLite's backend stores it: naive, in the connection's
    zone, as text. Anything else (naive values warn) goes through Django."""

    def convert(value: Any, db: Any) -> Any:
        if type(value) is datetime and value.tzinfo is not None:
            return str(value.astimezone(db.timezone).replace(tzinfo=None))
        return None if value is None else django(value, db)

    return convert


def table_of(model: type[Model]) -> str:
    """The model's table name, quoted for this database, for SQL written by hand."""
    return _quoted(model._meta.db_table)


def _quoted(name: str | None) -> str:
    assert name is not None  # concrete fields always have a column
    return str(connection.ops.quote_name(name))


# The SQL caches are keyed by the database vendor too: quoting is its.
@functools.cache
def _insert_fields(model: type[Model]) -> tuple[Field[Any, Any], ...]:
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


@functools.cache
def _insert_sql(model: type[Model], vendor: str, count: int) -> str:
    fields = _insert_fields(model)
    columns = ", ".join(_quoted(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = model._meta.pk
    assert pk is not None
    return (
        f"INSERT INTO {table_of(model)} ({columns}) "
        f"VALUES {', '.join([one] * count)} RETURNING {_quoted(pk.column)}"
    )


@functools.cache
def _update_sql(
    model: type[Model],
    vendor: str,
    names: tuple[str, ...],
    key: str,
    condition: tuple[str, int] | None,
) -> str:
    meta = model._meta
    assignments = ", ".join(f"{_column(meta, name)} = %s" for name in names)
    where = f"{_column(meta, key)} = %s"
    if condition is not None:
        name, count = condition
        where += f" AND {_column(meta, name)} IN ({', '.join(['%s'] * count)})"
    return f"UPDATE {table_of(model)} SET {assignments} WHERE {where}"


def _column(meta: Any, name: str) -> str:
    return _quoted(_field(meta, name).column)


def _field(meta: Any, name: str) -> Any:
    return meta.pk if name == "pk" else meta.get_field(name)
