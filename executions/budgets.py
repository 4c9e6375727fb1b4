"""Budget accounts in the database: the engine's BudgetStore, shared by every process.

Reserving is one conditional UPDATE (`... WHERE spent + reserved + amount <= max`),
so it either fits or changes nothing, whatever else runs at the same moment; on
PostgreSQL the row lock re-checks the condition against the committed row, on
SQLite the write lock serialises writers. Each hold is a row, so maintenance can
release what a crashed run left reserved.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.utils import timezone

from engine.budgets import Usage
from executions.models import BudgetAccount, BudgetHold

MICROS = 1_000_000
# Floating-point noise in the engine's USD sums must not refuse a call (cf. engine).
TOLERANCE_MICROS = 1


def to_micros(usd: float) -> int:
    return round(usd * MICROS)


def open_account(key: str, *, spent_tokens: int = 0, spent_usd: float = 0.0) -> None:
    """Create the account if it does not exist; an existing one keeps its numbers."""
    BudgetAccount.objects.get_or_create(
        key=key, defaults={"spent_tokens": spent_tokens, "spent_micros": to_micros(spent_usd)}
    )


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
    """Each call is one transaction of two statements; hold ids carry their amounts
    (`pk:tokens:micros`), so settling needs no read."""

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


_ACCOUNTS = BudgetAccount._meta.db_table
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
    return row[0], Usage(row[1], row[2], row[3] / MICROS, row[4] / MICROS)


def _now() -> Any:
    """As Django itself writes a DateTimeField on this database (raw SQL gets no help)."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _try_reserve(
    key: str, amount: tuple[int, float], maximum: tuple[int | None, float | None], holder: str
) -> tuple[str | None, Usage]:
    tokens, micros = amount[0], to_micros(amount[1])
    max_tokens, max_usd = maximum
    where, params = "", [tokens, micros, _now(), key]
    # Conditions on the row's own columns: PostgreSQL re-checks them on the row it locks.
    if max_tokens is not None:
        where += " AND spent_tokens + reserved_tokens <= %s"
        params.append(max_tokens - tokens)
    if max_usd is not None:
        where += " AND spent_micros + reserved_micros <= %s"
        params.append(to_micros(max_usd) + TOLERANCE_MICROS - micros)
    assignments = "reserved_tokens = reserved_tokens + %s, reserved_micros = reserved_micros + %s"
    with transaction.atomic():
        account_id, usage = _update_account(assignments, where, params)
        if account_id is None or usage is None:
            return None, usage_of(key) or Usage()
        hold = BudgetHold.objects.create(
            account_id=account_id, holder=holder, tokens=tokens, micros=micros
        )
    return f"{hold.pk}:{tokens}:{micros}", usage


def _settle(key: str, hold: str, actual: tuple[int, float] | None) -> Usage:
    """Replace the hold with `actual` spending (None: give it back). Only the one who
    deletes the hold's row gives its amount back (maintenance may have released it)."""
    pk, tokens, micros = (int(part) for part in hold.split(":"))
    spent_tokens, spent_micros = (0, 0) if actual is None else (actual[0], to_micros(actual[1]))
    with transaction.atomic():
        if not BudgetHold.objects.filter(pk=pk).delete()[0]:
            tokens = micros = 0
        _, usage = _update_account(
            "reserved_tokens = reserved_tokens - %s, reserved_micros = reserved_micros - %s, "
            "spent_tokens = spent_tokens + %s, spent_micros = spent_micros + %s",
            "",
            [tokens, micros, spent_tokens, spent_micros, _now(), key],
        )
    return usage or Usage()


def release_holds(holds: list[BudgetHold]) -> int:
    """Give back what holds of stopped runs still reserve. Returns how many."""
    released = 0
    for hold in holds:
        if BudgetHold.objects.filter(pk=hold.pk).exists():
            _settle(hold.account.key, f"{hold.pk}:{hold.tokens}:{hold.micros}", None)
            released += 1
    return released
