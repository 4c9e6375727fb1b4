"""Token and cost budgets (spec 7.1).

A `BudgetLedger` is checked *before* each LLM call: the caller reserves an
estimate, then settles it with the provider's actual usage (or releases it if
the call never happened). Checking before the call, against reservations of
calls still in flight, is what keeps parallel specialists from jointly
overshooting a budget that each of them alone would respect.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

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
    """One cap; `None` means no cap in that unit. `already_spent_*` is usage
    from before this ledger existed (e.g. today's earlier runs)."""

    name: str
    max_tokens: int | None
    max_usd: float | None
    already_spent_tokens: int = 0
    already_spent_usd: float = 0.0

    def __post_init__(self) -> None:
        for label, value in (
            ("max_tokens", self.max_tokens),
            ("max_usd", self.max_usd),
            ("already_spent_tokens", self.already_spent_tokens),
            ("already_spent_usd", self.already_spent_usd),
        ):
            if value is not None and value < 0:
                raise ValueError(f"budget {self.name!r}: {label} must be >= 0, got {value}")


@dataclass(frozen=True)
class Reservation:
    id: int
    tokens: int
    usd: float


def _check_amounts(tokens: int, usd: float | None) -> None:
    if tokens < 0:
        raise ValueError(f"tokens must be >= 0, got {tokens}")
    if usd is not None and usd < 0:
        raise ValueError(f"usd must be >= 0, got {usd}")


class BudgetLedger:
    """Spending against several limits at once (e.g. run, project-daily).

    Methods never await, so each is atomic within one event loop.
    """

    def __init__(self, limits: Iterable[BudgetLimit] = ()) -> None:
        self.limits: tuple[BudgetLimit, ...] = tuple(limits)
        self.spent_tokens = 0
        self.spent_usd = 0.0
        # Set when a provider could not price a call: spent_usd is then a floor.
        self.cost_unknown = False
        self._open: dict[int, Reservation] = {}
        self._ids = itertools.count(1)

    @property
    def reserved_tokens(self) -> int:
        return sum(reservation.tokens for reservation in self._open.values())

    @property
    def reserved_usd(self) -> float:
        return sum(reservation.usd for reservation in self._open.values())

    def reserve(self, tokens: int, usd: float | None) -> Reservation:
        """Hold `tokens`/`usd` for a call, or raise BUDGET_EXCEEDED holding nothing."""
        _check_amounts(tokens, usd)
        usd_amount = usd or 0.0
        for limit in self.limits:
            self._check(limit, tokens, usd_amount)
        reservation = Reservation(next(self._ids), tokens, usd_amount)
        self._open[reservation.id] = reservation
        return reservation

    def settle(self, reservation: Reservation, tokens: int, usd: float | None) -> None:
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

    def release(self, reservation: Reservation) -> None:
        """Drop a reservation whose call never happened; safe to repeat."""
        self._open.pop(reservation.id, None)

    def headroom_tokens(self) -> int | None:
        """Tokens the tightest limit still allows, None if none caps tokens."""
        room = [
            limit.max_tokens - self._used_tokens(limit) - self.reserved_tokens
            for limit in self.limits
            if limit.max_tokens is not None
        ]
        return max(min(room), 0) if room else None

    def _used_tokens(self, limit: BudgetLimit) -> int:
        return limit.already_spent_tokens + self.spent_tokens

    def _used_usd(self, limit: BudgetLimit) -> float:
        return limit.already_spent_usd + self.spent_usd

    def _check(self, limit: BudgetLimit, tokens: int, usd: float) -> None:
        if limit.max_tokens is not None:
            used, reserved = self._used_tokens(limit), self.reserved_tokens
            if used + reserved + tokens > limit.max_tokens:
                raise _exceeded(limit, "tokens", limit.max_tokens, used, reserved, tokens)
        if limit.max_usd is not None:
            used_usd, reserved_usd = self._used_usd(limit), self.reserved_usd
            if used_usd + reserved_usd + usd > limit.max_usd + _USD_TOLERANCE:
                raise _exceeded(limit, "usd", limit.max_usd, used_usd, reserved_usd, usd)

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
        return {
            "name": limit.name,
            "maxTokens": limit.max_tokens,
            "maxUsd": limit.max_usd,
            "usedTokens": self._used_tokens(limit),
            "usedUsd": round(self._used_usd(limit), 6),
        }


def _exceeded(
    limit: BudgetLimit, unit: str, maximum: float, used: float, reserved: float, requested: float
) -> AladdinError:
    amount = _format(unit, maximum)
    return AladdinError(
        ErrorType.BUDGET_EXCEEDED,
        f"the {limit.name} budget of {amount} would be exceeded: "
        f"{_format(unit, used)} used + {_format(unit, reserved)} reserved by calls in flight "
        f"+ {_format(unit, requested)} requested. To continue, raise the {limit.name} budget "
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
