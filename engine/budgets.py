"""Token and cost budgets (spec 7.1).

A `BudgetLedger` is checked *before* each LLM call: the caller reserves an
estimate, then settles it with the provider's actual usage (or releases it if
the call never happened). Checking before the call, against reservations of
calls still in flight, is what keeps parallel specialists from jointly
overshooting a budget that each of them alone would respect.

The accounts a ledger draws on live in a `BudgetStore`. The project's daily
account is shared by every run of that project in every process (the Django
side keeps it in the database, or Redis), so concurrent runs cannot jointly
spend more than the day allows.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol, runtime_checkable

from engine.errors import AladdinError, ErrorType

# Float sums of small USD amounts drift; a budget is not exceeded by 1e-12.
_USD_TOLERANCE: Final = 1e-9


@dataclass(frozen=True)
class TokenLimits:
    max_input: int
    max_output: int
    max_total: int


# Spec 7.1, per agent role.
ROLE_LIMITS: Final[Mapping[str, TokenLimits]] = {
    "specialist": TokenLimits(max_input=4000, max_output=2000, max_total=6000),
    "department_head": TokenLimits(max_input=8000, max_output=4000, max_total=12000),
    "orchestrator": TokenLimits(max_input=12000, max_output=6000, max_total=18000),
}
PROJECT_DAILY_TOKENS: Final = 500_000
PER_EXECUTION_TOKENS: Final = 50_000


def estimate_tokens(text: str) -> int:
    """Rough count (4 characters a token) for checks made before a call."""
    return math.ceil(len(text) / 4)


@dataclass(frozen=True)
class BudgetLimit:
    """One cap; `None` means no cap in that unit (0 means nothing may be spent).

    `key` names the account in the ledger's BudgetStore; limits with the same key
    in different ledgers (two runs of one project today) share one account. Without
    a key the account is private to its ledger. `already_spent_*` seeds a private
    account (usage from before this ledger existed); for a shared account it is what
    the account held when the ledger was made, shown until the ledger first reaches
    the store (the store itself always decides)."""

    name: str
    max_tokens: int | None
    max_usd: float | None
    already_spent_tokens: int = 0
    already_spent_usd: float = 0.0
    key: str = ""

    def __post_init__(self) -> None:
        for label, value in (
            ("max_tokens", self.max_tokens),
            ("max_usd", self.max_usd),
            ("already_spent_tokens", self.already_spent_tokens),
            ("already_spent_usd", self.already_spent_usd),
        ):
            if value is not None and (not math.isfinite(value) or value < 0):
                raise ValueError(f"budget {self.name!r}: {label} must be >= 0, got {value}")


@dataclass(frozen=True)
class Usage:
    """An account's state: settled spending and reservations of calls in flight."""

    spent_tokens: int = 0
    reserved_tokens: int = 0
    spent_usd: float = 0.0
    reserved_usd: float = 0.0


class BudgetStore(Protocol):
    """Where budget accounts live. Each method is atomic on its own, so any number of
    ledgers, runs and processes may draw on one account without overshooting it."""

    async def try_reserve(
        self,
        key: str,
        amount: tuple[int, float],
        maximum: tuple[int | None, float | None],
        holder: str,
    ) -> tuple[str | None, Usage]:
        """Reserve `amount` (tokens, usd) if spent + reserved + amount stays within
        `maximum`: returns a hold id and the usage after, or None and the usage now."""
        ...

    async def settle(self, key: str, hold: str, actual: tuple[int, float]) -> Usage:
        """Replace the hold with actual usage (which may exceed it)."""
        ...

    async def release(self, key: str, hold: str) -> Usage:
        """Drop a hold whose call never happened; a hold already gone is ignored."""
        ...


@runtime_checkable
class ClosableStore(Protocol):
    """A store that keeps something for its run until told the run ended
    (`engine.leases.LeasedBudgetStore`)."""

    async def aclose(self) -> dict[str, Usage]: ...


class MemoryBudgetStore:
    """Accounts in this process only: for a ledger that nothing else shares, and tests."""

    def __init__(self) -> None:
        self.accounts: dict[str, Usage] = {}
        self._holds: dict[str, tuple[str, int, float]] = {}
        self._ids = itertools.count(1)

    def seed(self, key: str, tokens: int = 0, usd: float = 0.0) -> None:
        self.accounts.setdefault(key, Usage(spent_tokens=tokens, spent_usd=usd))

    async def try_reserve(
        self,
        key: str,
        amount: tuple[int, float],
        maximum: tuple[int | None, float | None],
        holder: str,
    ) -> tuple[str | None, Usage]:
        usage = self.accounts.setdefault(key, Usage())
        if not fits(usage, amount, maximum):
            return None, usage
        hold = str(next(self._ids))
        self._holds[hold] = (key, *amount)
        usage = self._change(key, reserved=amount)
        return hold, usage

    async def settle(self, key: str, hold: str, actual: tuple[int, float]) -> Usage:
        _, tokens, usd = self._holds.pop(hold, (key, 0, 0.0))
        return self._change(key, reserved=(-tokens, -usd), spent=actual)

    async def release(self, key: str, hold: str) -> Usage:
        if hold not in self._holds:
            return self.accounts.setdefault(key, Usage())
        _, tokens, usd = self._holds.pop(hold)
        return self._change(key, reserved=(-tokens, -usd))

    async def renew(
        self,
        key: str,
        lease: str | None,
        spent: tuple[int, float],
        sizes: Sequence[tuple[int, float]],
        maximum: tuple[int | None, float | None],
        holder: str,
    ) -> tuple[str | None, int, Usage]:
        """`engine.leases.LeaseStore.renew`: replace a lease in one step."""
        _, tokens, usd = self._holds.pop(lease or "", (key, 0, 0.0))
        usage = self._change(key, reserved=(-tokens, -usd), spent=spent)
        index = next(
            (i for i, size in enumerate(sizes[:-1]) if fits(usage, size, maximum)),
            len(sizes) - 1,
        )
        usage = self._change(key, reserved=sizes[index])
        if sizes[index] == (0, 0.0):
            return None, index, usage
        hold = str(next(self._ids))
        self._holds[hold] = (key, *sizes[index])
        return hold, index, usage

    def _change(
        self,
        key: str,
        *,
        reserved: tuple[int, float] = (0, 0.0),
        spent: tuple[int, float] = (0, 0.0),
    ) -> Usage:
        old = self.accounts.setdefault(key, Usage())
        new = Usage(
            spent_tokens=old.spent_tokens + spent[0],
            reserved_tokens=old.reserved_tokens + reserved[0],
            spent_usd=old.spent_usd + spent[1],
            reserved_usd=old.reserved_usd + reserved[1],
        )
        self.accounts[key] = new
        return new


def fits(usage: Usage, amount: tuple[int, float], maximum: tuple[int | None, float | None]) -> bool:
    """The rule every store applies (the database and Redis stores in one statement)."""
    max_tokens, max_usd = maximum
    tokens, usd = amount
    if max_tokens is not None and usage.spent_tokens + usage.reserved_tokens + tokens > max_tokens:
        return False
    return max_usd is None or (
        usage.spent_usd + usage.reserved_usd + usd <= max_usd + _USD_TOLERANCE
    )


@dataclass(frozen=True)
class Reservation:
    id: int
    tokens: int
    usd: float
    holds: tuple[tuple[str, str], ...] = ()  # (account key, hold id) per limit


def _check_amounts(tokens: int, usd: float | None) -> None:
    if tokens < 0:
        raise ValueError(f"tokens must be >= 0, got {tokens}")
    if usd is not None and usd < 0:
        raise ValueError(f"usd must be >= 0, got {usd}")


class BudgetLedger:
    """One run's spending against several limits at once (e.g. run, project-daily).

    The accounts live in a BudgetStore: by default one private to this ledger; with
    a shared store (the database, Redis) concurrent runs and processes draw on the
    same daily account, and a reservation either fits or is refused as a whole.
    `holder` (the run's id) lets maintenance release holds a crashed run left behind.
    """

    def __init__(
        self,
        limits: Iterable[BudgetLimit] = (),
        store: BudgetStore | None = None,
        *,
        holder: str = "",
    ) -> None:
        self.limits: tuple[BudgetLimit, ...] = tuple(limits)
        self.holder = holder
        if store is None:
            memory = MemoryBudgetStore()
            for limit in self.limits:
                memory.seed(self._key(limit), limit.already_spent_tokens, limit.already_spent_usd)
            store = memory
        self.store = store
        self.spent_tokens = 0
        self.spent_usd = 0.0
        # Set when a provider could not price a call: spent_usd is then a floor.
        self.cost_unknown = False
        self._open: dict[int, Reservation] = {}
        self._ids = itertools.count(1)
        # Each account as last seen, for headroom and snapshots without a round trip.
        self._seen: dict[str, Usage] = {}

    def _key(self, limit: BudgetLimit) -> str:
        return limit.key or f"ledger:{id(self)}:{limit.name}"

    @property
    def reserved_tokens(self) -> int:
        return sum(reservation.tokens for reservation in self._open.values())

    @property
    def reserved_usd(self) -> float:
        return sum(reservation.usd for reservation in self._open.values())

    async def reserve(self, tokens: int, usd: float | None) -> Reservation:
        """Hold `tokens`/`usd` for a call in every account, or raise BUDGET_EXCEEDED
        holding nothing."""
        _check_amounts(tokens, usd)
        amount = (tokens, usd or 0.0)
        holds: list[tuple[str, str]] = []
        try:
            for limit in self.limits:
                key = self._key(limit)
                hold, usage = await self.store.try_reserve(
                    key, amount, (limit.max_tokens, limit.max_usd), self.holder
                )
                self._seen[key] = usage
                if hold is None:
                    raise _refusal(limit, usage, amount)
                holds.append((key, hold))
        except BaseException:
            await asyncio.shield(self._release_holds(holds))
            raise
        reservation = Reservation(next(self._ids), tokens, amount[1], tuple(holds))
        self._open[reservation.id] = reservation
        return reservation

    async def settle(self, reservation: Reservation, tokens: int, usd: float | None) -> None:
        """Replace the reservation with actual usage (which may exceed it:
        the tokens are spent either way; the next `reserve` will refuse)."""
        _check_amounts(tokens, usd)
        if self._open.pop(reservation.id, None) is None:
            raise ValueError(f"reservation {reservation.id} was already settled or released")
        self.spent_tokens += tokens
        if usd is None:
            self.cost_unknown = True
        else:
            self.spent_usd += usd
        for key, hold in reservation.holds:
            self._seen[key] = await self.store.settle(key, hold, (tokens, usd or 0.0))

    async def release(self, reservation: Reservation) -> None:
        """Drop a reservation whose call never happened; safe to repeat."""
        if self._open.pop(reservation.id, None) is not None:
            await self._release_holds(list(reservation.holds))

    async def aclose(self) -> None:
        """The run ended: a store that leases gives back what it holds for the run
        and records what it spent. Call it once the run's calls are over (also on
        failure and cancellation); safe to repeat."""
        if isinstance(self.store, ClosableStore):
            self._seen.update(await self.store.aclose())

    async def _release_holds(self, holds: list[tuple[str, str]]) -> None:
        for key, hold in holds:
            self._seen[key] = await self.store.release(key, hold)

    def headroom_tokens(self) -> int | None:
        """Tokens the tightest limit still allows (as of this ledger's last look at
        each account), None if none caps tokens."""
        room = [
            limit.max_tokens - self._used_tokens(limit)
            for limit in self.limits
            if limit.max_tokens is not None
        ]
        return max(min(room), 0) if room else None

    def _usage(self, limit: BudgetLimit) -> Usage:
        key = self._key(limit)
        if isinstance(self.store, MemoryBudgetStore):
            return self.store.accounts.get(key, Usage())
        return self._seen.get(key) or Usage(
            spent_tokens=limit.already_spent_tokens, spent_usd=limit.already_spent_usd
        )

    def _used_tokens(self, limit: BudgetLimit) -> int:
        usage = self._usage(limit)
        return usage.spent_tokens + usage.reserved_tokens

    def snapshot(self) -> dict[str, Any]:
        return {
            "spentTokens": self.spent_tokens,
            "spentUsd": round(self.spent_usd, 6),
            "reservedTokens": self.reserved_tokens,
            "reservedUsd": round(self.reserved_usd, 6),
            "costUnknown": self.cost_unknown,
            "limits": [self._limit_snapshot(limit) for limit in self.limits],
        }

    def _limit_snapshot(self, limit: BudgetLimit) -> dict[str, Any]:
        usage = self._usage(limit)
        return {
            "name": limit.name,
            "maxTokens": limit.max_tokens,
            "maxUsd": limit.max_usd,
            "usedTokens": usage.spent_tokens,
            "usedUsd": round(usage.spent_usd, 6),
        }


def _refusal(limit: BudgetLimit, usage: Usage, amount: tuple[int, float]) -> AladdinError:
    tokens, usd = amount
    if limit.max_tokens is not None and not fits(usage, (tokens, 0.0), (limit.max_tokens, None)):
        return _exceeded(
            limit, "tokens", limit.max_tokens, usage.spent_tokens, usage.reserved_tokens, tokens
        )
    return _exceeded(limit, "usd", limit.max_usd or 0.0, usage.spent_usd, usage.reserved_usd, usd)


def _exceeded(
    limit: BudgetLimit, unit: str, maximum: float, used: float, reserved: float, requested: float
) -> AladdinError:
    amount = _format(unit, maximum)
    return AladdinError(
        ErrorType.BUDGET_EXCEEDED,
        f"the {limit.name} budget of {amount} would be exceeded: "
        # Reserved: calls in flight and what other runs' leases (engine/leases.py) hold.
        f"{_format(unit, used)} used + {_format(unit, reserved)} reserved by calls in flight "
        f"and running runs + {_format(unit, requested)} requested. To continue, raise the "
        f"{limit.name} budget "
        "in the admin (the project's settings).",
        details={
            "limit": limit.name,
            "unit": unit,
            "max": maximum,
            "used": used,
            "reserved": reserved,
            "requested": requested,
        },
    )


def _format(unit: str, amount: float) -> str:
    return f"${amount:.4f}" if unit == "usd" else f"{int(amount):,} tokens"
