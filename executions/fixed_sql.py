"""INSERTs and UPDATEs of the rows every agent run writes, as fixed SQL text.

Each agent run inserts its Execution row, updates it two or three times and inserts
a few events. Through the ORM each of those statements is a Query built, compiled and
thrown away: with 20 orchestrations at once that was about a fifth of the process's
CPU (`make bench` profile). Here the SQL text of each shape is made once and cached;
only the values are converted per row, by the fields' own `pre_save` and
`get_db_prep_save`, exactly as the ORM's compiler converts them. No signals are sent
(as with the `bulk_create` and `update` this replaces).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from django.db import connection, transaction
from django.db.models import Field, JSONField, Model
from psycopg.types.json import Jsonb

from engine import jsontext


def insert_rows(rows: Sequence[Model]) -> None:
    """INSERT `rows` (all of one model, none saved yet) and set their primary keys, in
    as few statements as the database's parameter limit allows. As with bulk_create,
    the keys come back from RETURNING in the order of the VALUES."""
    if not rows:
        return
    model = type(rows[0])
    fields = _insert_fields(model, connection.vendor)
    size = max(1, connection.ops.bulk_batch_size(list(fields), list(rows)))
    pk = model._meta.pk
    assert pk is not None
    # Like bulk_create: several statements are one transaction, all rows or none.
    whole = transaction.atomic(savepoint=False) if len(rows) > size else nullcontext()
    with whole, connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params = [_db_value(f, row) for row in chunk for f in fields]
            cursor.execute(_insert_sql(model, connection.vendor, len(chunk)), params)
            for row, (key,) in zip(chunk, cursor.fetchall(), strict=True):
                setattr(row, pk.attname, key)
                row._state.adding, row._state.db = False, connection.alias


def update_rows(
    model: type[Model],
    key: str,
    value: Any,
    fields: dict[str, Any],
    *,
    where_in: tuple[str, Sequence[Any]] | None = None,
) -> int:
    """UPDATE the row(s) whose `key` field equals `value` (and, with `where_in`, whose
    field is one of the values given) to `fields`; how many rows changed."""
    names = tuple(fields)
    condition = (where_in[0], len(where_in[1])) if where_in else None
    sql = _update_sql(model, connection.vendor, names, key, condition)
    meta = model._meta
    params = [_prep(_field(meta, name), fields[name]) for name in names]
    params.append(_prep(_field(meta, key), value))
    if where_in:
        column = _field(meta, where_in[0])
        params += [_prep(column, v) for v in where_in[1]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def _db_value(field: Field[Any, Any], row: Model) -> Any:
    return _prep(field, field.pre_save(row, True))


def _prep(field: Any, value: Any) -> Any:
    if value is not None and _plain_json(field):
        # What JSONField would store, serialised by orjson (engine/jsontext.py):
        # json.dumps of run states, outputs and payloads was most of these writes' CPU.
        if connection.vendor == "postgresql":
            return Jsonb(value, dumps=jsontext.dumps)
        return jsontext.dumps(value)
    return field.get_db_prep_save(value, connection)


@functools.cache
def _plain_json(field: Any) -> bool:
    return isinstance(field, JSONField) and field.encoder is None


def _quoted(name: str | None) -> str:
    assert name is not None  # concrete fields always have a column
    return str(connection.ops.quote_name(name))


# The caches are keyed by the database vendor too: quoting and placeholders are its.
@functools.cache
def _insert_fields(model: type[Model], vendor: str) -> tuple[Field[Any, Any], ...]:
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


@functools.cache
def _insert_sql(model: type[Model], vendor: str, count: int) -> str:
    fields = _insert_fields(model, vendor)
    columns = ", ".join(_quoted(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = model._meta.pk
    assert pk is not None
    return (
        f"INSERT INTO {_quoted(model._meta.db_table)} ({columns}) "
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
    return f"UPDATE {_quoted(meta.db_table)} SET {assignments} WHERE {where}"


def _column(meta: Any, name: str) -> str:
    return _quoted(_field(meta, name).column)


def _field(meta: Any, name: str) -> Any:
    return meta.pk if name == "pk" else meta.get_field(name)
