"""Budget accounts in the database: the engine's BudgetStore, shared by every process.

Reserving is one conditional UPDATE (`... WHERE spent + reserved + amount <= max`),
so it either fits or changes nothing, whatever else runs at the same moment; on
PostgreSQL the row lock re-checks the condition against the committed row, on
SQLite the write lock serialises writers. Each hold is a row, so maintenance can
release what a crashed run left reserved. Runs hold leases (engine/leases.py): one
hold per account per run, renewed in one transaction when a call does not fit it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.utils import timezone

from engine.budgets import Usage
from engine.leases import LeasedBudgetStore
from executions.models import BudgetAccount, BudgetHold

MICROS = 1_000_000
# Floating-point noise in the engine's USD sums must not refuse a call (cf. engine).
TOLERANCE_MICROS = 1


def to_micros(usd: float) -> int:
    return round(usd * MICROS)


def open_account(key: str, *, spent_tokens: int = 0, spent_usd: float = 0.0) -> Usage:
    """Create the account if it does not exist; an existing one keeps its numbers.
    Returns its usage."""
    row, _ = BudgetAccount.objects.get_or_create(
        key=key, defaults={"spent_tokens": spent_tokens, "spent_micros": to_micros(spent_usd)}
    )
    return _usage(row)


def usage_of(key: str) -> Usage | None:
    row = BudgetAccount.objects.filter(key=key).first()
    return None if row is None else _usage(row)


def _usage(row: BudgetAccount) -> Usage:
    return Usage(
        spent_tokens=row.spent_tokens,
        reserved_tokens=row.reserved_tokens,
        spent_usd=row.spent_micros / MICROS,
        reserved_usd=row.reserved_micros / MICROS,
    )


class DatabaseBudgetStore:
    """Each call is one transaction of two statements (a renewal: one more per size
    tried). A run draws on it through `engine.leases.LeasedBudgetStore` (see
    `leased_store`): a few renewals per run instead of a hold per call."""

    async def try_reserve(
        self,
        key: str,
        amount: tuple[int, float],
        maximum: tuple[int | None, float | None],
        holder: str,
    ) -> tuple[str | None, Usage]:
        return await sync_to_async(_try_reserve)(key, amount, maximum, holder)

    async def settle(self, key: str, hold: str, actual: tuple[int, float]) -> Usage:
        return await sync_to_async(_settle)(key, hold, actual)

    async def release(self, key: str, hold: str) -> Usage:
        return await sync_to_async(_settle)(key, hold, None)

    async def renew(
        self,
        key: str,
        lease: str | None,
        spent: tuple[int, float],
        sizes: Sequence[tuple[int, float]],
        maximum: tuple[int | None, float | None],
        holder: str,
    ) -> tuple[str | None, int, Usage]:
        return await sync_to_async(_renew)(key, lease, spent, sizes, maximum, holder)


_ACCOUNTS = BudgetAccount._meta.db_table
_HOLDS = BudgetHold._meta.db_table
_COLUMNS = "id, spent_tokens, reserved_tokens, spent_micros, reserved_micros"


def _update_account(
    assignments: str, where: str, params: list[Any]
) -> tuple[int, Usage] | tuple[None, None]:
    """One UPDATE ... RETURNING (SQLite >= 3.35, PostgreSQL): the change and the state
    after it in one statement; (None, None) when no row matched."""
    key = connection.ops.quote_name("key")
    sql = (
        # Only our table and column names are formatted in; every value is a parameter.
        f"UPDATE {_ACCOUNTS} SET {assignments}, updated_at = %s "
        f"WHERE {key} = %s{where} RETURNING {_COLUMNS}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, None
    return row[0], _usage_of_columns(row[1:5])


def _usage_of_columns(columns: Any) -> Usage:
    """Usage from an account's (spent_tokens, reserved_tokens, spent_micros,
    reserved_micros), as a RETURNING gives them."""
    spent_tokens, reserved_tokens, spent_micros, reserved_micros = columns
    return Usage(spent_tokens, reserved_tokens, spent_micros / MICROS, reserved_micros / MICROS)


def _max_micros(max_usd: float) -> int:
    """A USD cap in micro-dollars, with the tolerance for the engine's float sums."""
    return to_micros(max_usd) + TOLERANCE_MICROS


def _hold_pk(hold: str) -> int:
    return int(hold.split(":")[0])  # ids of per-call holds also carry their amounts


def _now() -> Any:
    """As Django itself writes a DateTimeField on this database (raw SQL gets no help)."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _change_account(
    key: str,
    reserve: tuple[int, int],
    spend: tuple[int, int],
    maximum: tuple[int | None, float | None],
) -> tuple[int, Usage] | tuple[None, None]:
    """Add to the account's holds and spending (tokens, micros) if, when something
    is capped in `maximum`, spent + reserved stays within it after the change."""
    growth = (reserve[0] + spend[0], reserve[1] + spend[1])
    max_tokens, max_usd = maximum
    where, params = "", [*reserve, *spend, _now(), key]
    # Conditions on the row's own columns: PostgreSQL re-checks them on the row it locks.
    if max_tokens is not None:
        where += " AND spent_tokens + reserved_tokens <= %s"
        params.append(max_tokens - growth[0])
    if max_usd is not None:
        where += " AND spent_micros + reserved_micros <= %s"
        params.append(_max_micros(max_usd) - growth[1])
    return _update_account(
        "reserved_tokens = reserved_tokens + %s, reserved_micros = reserved_micros + %s, "
        "spent_tokens = spent_tokens + %s, spent_micros = spent_micros + %s",
        where,
        params,
    )


def _drop_hold(hold: str | None) -> tuple[int, int] | None:
    """Delete a hold in one statement: what it held, or None if it was gone (whoever
    deleted it gave its amount back)."""
    if hold is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_HOLDS} WHERE id = %s RETURNING tokens, micros", [_hold_pk(hold)]
        )
        row = cursor.fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def _try_reserve(
    key: str, amount: tuple[int, float], maximum: tuple[int | None, float | None], holder: str
) -> tuple[str | None, Usage]:
    tokens, micros = amount[0], to_micros(amount[1])
    with transaction.atomic():
        account_id, usage = _change_account(key, (tokens, micros), (0, 0), maximum)
        if account_id is None or usage is None:
            return None, usage_of(key) or Usage()
        hold = BudgetHold.objects.create(
            account_id=account_id, holder=holder, tokens=tokens, micros=micros
        )
    return f"{hold.pk}:{tokens}:{micros}", usage


def _settle(key: str, hold: str, actual: tuple[int, float] | None) -> Usage:
    """Replace the hold with `actual` spending (None: give it back). Only the one who
    deletes the hold's row gives its amount back (maintenance may have released it)."""
    spent = (0, 0) if actual is None else (actual[0], to_micros(actual[1]))
    with transaction.atomic():
        tokens, micros = _drop_hold(hold) or (0, 0)
        _, usage = _change_account(key, (-tokens, -micros), spent, (None, None))
    return usage or Usage()


def _renew(
    key: str,
    lease: str | None,
    spent: tuple[int, float],
    sizes: Sequence[tuple[int, float]],
    maximum: tuple[int | None, float | None],
    holder: str,
) -> tuple[str | None, int, Usage]:
    """`engine.leases.LeaseStore.renew` in one transaction: DELETE the old hold,
    one conditional UPDATE per size tried (the last unconditional), INSERT the new.
    On PostgreSQL the same statements run in the server, in one call."""
    if connection.vendor == "postgresql":
        return _renew_in_server(key, lease, spent, sizes, maximum, holder)
    spend = (spent[0], to_micros(spent[1]))
    last = len(sizes) - 1
    with transaction.atomic():
        old = _drop_hold(lease) or (0, 0)
        for index, size in enumerate(sizes):
            tokens, micros = size[0], to_micros(size[1])
            account_id, usage = _change_account(
                key,
                (tokens - old[0], micros - old[1]),
                spend,
                maximum if index < last else (None, None),
            )
            if account_id is not None and usage is not None:
                break
        else:
            return None, last, usage_of(key) or Usage()  # no such account
        if not tokens and not micros:
            return None, index, usage
        hold = BudgetHold.objects.create(
            account_id=account_id, holder=holder, tokens=tokens, micros=micros
        )
    return str(hold.pk), index, usage


def _renew_in_server(
    key: str,
    lease: str | None,
    spent: tuple[int, float],
    sizes: Sequence[tuple[int, float]],
    maximum: tuple[int | None, float | None],
    holder: str,
) -> tuple[str | None, int, Usage]:
    """_renew as one call of `aladdin_renew_lease` (migration 0009), which runs its
    statements in the same order: one round trip, where the Python path took five."""
    max_tokens, max_usd = maximum
    params = [
        key,
        None if lease is None else _hold_pk(lease),
        spent[0],
        to_micros(spent[1]),
        [size[0] for size in sizes],
        [to_micros(size[1]) for size in sizes],
        max_tokens,
        None if max_usd is None else _max_micros(max_usd),
        holder,
        timezone.now(),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_RENEW_CALL, params)
        row = cursor.fetchone()
    if row is None:  # no such account
        return None, len(sizes) - 1, usage_of(key) or Usage()
    hold, index = row[0], row[1]
    return (None if hold is None else str(hold)), index, _usage_of_columns(row[3:7])


_RENEW_CALL = (
    "SELECT * FROM aladdin_renew_lease(%s, %s::bigint, %s::bigint, %s::bigint, "
    "%s::bigint[], %s::bigint[], %s::bigint, %s::bigint, %s, %s)"
)


def release_holds(holds: list[BudgetHold]) -> int:
    """Give back what holds of stopped runs still reserve. Returns how many."""
    released = 0
    for hold in holds:
        with transaction.atomic():
            amount = _drop_hold(str(hold.pk))
            if amount is not None:
                _change_account(hold.account.key, (-amount[0], -amount[1]), (0, 0), (None, None))
                released += 1
    return released


def leased_store(run_key: str) -> LeasedBudgetStore:
    """A run's store: one lease per account; its own account (`run_key`), which
    nothing else draws on, is leased whole."""
    return LeasedBudgetStore(DatabaseBudgetStore(), private=[run_key])
