"""Budget leases: a run draws on each account through one hold instead of one per call.

`LeasedBudgetStore` wraps a `LeaseStore` (the database's, or the in-memory one) for
one run. Per account it keeps one hold in the store, the lease, and serves the run's
per-call reserve/settle/release from it in memory. When a call does not fit what
the lease has left, one atomic `renew` pushes what the run has spent, keeps what its
calls in flight hold, and takes a new block; if the block does not fit the account,
exactly the call's amount is asked for, so a block size alone never refuses a call.

Guarantees, as with a hold per call: every call is reserved before it is made, and
the store only grows an account's holds with a conditional check against its caps,
so any number of runs and processes cannot jointly overshoot an account (a call
whose actual usage exceeds its estimate still counts in full, and the next renewal
refuses). What changes near a cap: another run's unused lease counts as reserved
until that run renews or ends, so a call may be refused that per-call holds would
have let through. Blocks stay moderate for that reason: a few calls' worth on a
shared account (never more than the run's own budget has left), the whole remaining
budget on a private one (`private` keys: nothing else draws on them).

Spending reaches the store when a lease is renewed, at least every `sync_seconds`
(at the next settle), and when the run closes the store (`aclose`, which also gives
back the leases' unused room). A crash loses only the spending since the last push
(the run's Execution rows still record it); the lease is a hold of the run (its
`holder`), which maintenance releases like any other.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from engine.budgets import BudgetStore, Usage

Amount = tuple[int, float]
Maximum = tuple[int | None, float | None]
NOTHING: Amount = (0, 0.0)
# Float sums of small USD amounts drift; a lease's room is not short by 1e-12.
_USD_TOLERANCE = 1e-9


class LeaseStore(BudgetStore, Protocol):
    async def renew(
        self,
        key: str,
        lease: str | None,
        spent: Amount,
        sizes: Sequence[Amount],
        maximum: Maximum,
        holder: str,
    ) -> tuple[str | None, int, Usage]:
        """In one atomic step: drop the hold `lease` (if the store still has it), add
        `spent` to the account's spending, and hold the first of `sizes` that keeps the
        account within `maximum`; the last size is held whatever the account holds
        (it covers calls already made). Returns the new hold (None if it holds
        nothing), the index of the size held and the account's usage after."""
        ...


def _plus(first: Amount, second: Amount) -> Amount:
    return first[0] + second[0], first[1] + second[1]


def _minus(first: Amount, second: Amount) -> Amount:
    return first[0] - second[0], first[1] - second[1]


@dataclass
class _Lease:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    hold: str | None = None
    granted: Amount = NOTHING  # what the store holds for this lease
    in_flight: Amount = NOTHING  # reservations of calls not settled yet
    unsynced: Amount = NOTHING  # spending settled here, not yet in the store
    seen: Usage | None = None  # the account as the store last reported it
    maximum: Maximum = (None, None)
    holder: str = ""
    synced_at: float = 0.0
    pending: asyncio.Task[int] | None = None  # a renewal its caller stopped waiting for

    def room(self) -> Amount:
        return _minus(_minus(self.granted, self.in_flight), self.unsynced)

    def view(self) -> Usage:
        """The account as this run sees it: its own spending included, its lease
        counted only for what its calls in flight hold."""
        seen = self.seen or Usage()
        return Usage(
            spent_tokens=seen.spent_tokens + self.unsynced[0],
            reserved_tokens=seen.reserved_tokens - self.granted[0] + self.in_flight[0],
            spent_usd=seen.spent_usd + self.unsynced[1],
            reserved_usd=seen.reserved_usd - self.granted[1] + self.in_flight[1],
        )

    def left(self) -> Amount:
        """What the account has left for new calls, as last seen (an uncapped unit: 0)."""
        usage = self.view()
        max_tokens, max_usd = self.maximum
        tokens = (
            0 if max_tokens is None else max_tokens - usage.spent_tokens - usage.reserved_tokens
        )
        usd = 0.0 if max_usd is None else max_usd - usage.spent_usd - usage.reserved_usd
        return max(tokens, 0), max(usd, 0.0)


class LeasedBudgetStore:
    """One run's BudgetStore: one lease per account over a shared LeaseStore."""

    def __init__(
        self,
        store: LeaseStore,
        *,
        private: Iterable[str] = (),
        calls_per_lease: int = 8,
        sync_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.private = frozenset(private)
        self.calls_per_lease = calls_per_lease
        self.sync_seconds = sync_seconds
        self.closed = False
        self._clock = clock
        self._leases: dict[str, _Lease] = {}
        self._holds: dict[str, tuple[str, Amount]] = {}
        self._ids = itertools.count(1)

    async def try_reserve(
        self, key: str, amount: tuple[int, float], maximum: Maximum, holder: str
    ) -> tuple[str | None, Usage]:
        lease = self._leases.setdefault(key, _Lease())
        if _idle(lease):
            # The common case, a call that fits the lease, needs no await, so no other
            # task can run in between: no lock (20 runs' calls queued on it, each
            # waking the next, cost more than the bookkeeping).
            lease.maximum, lease.holder = maximum, holder
            if self._fits(lease, amount):
                return self._hold(key, lease, amount), lease.view()
        async with lease.lock:
            await _finish_pending(lease)
            lease.maximum, lease.holder = maximum, holder
            if not self._fits(lease, amount):
                sizes = self._sizes(key, lease, amount)
                if await self._renew(key, lease, sizes) == len(sizes) - 1:
                    return None, lease.view()
            return self._hold(key, lease, amount), lease.view()

    def _hold(self, key: str, lease: _Lease, amount: Amount) -> str:
        lease.in_flight = _plus(lease.in_flight, amount)
        hold = str(next(self._ids))
        self._holds[hold] = (key, amount)
        return hold

    async def settle(self, key: str, hold: str, actual: tuple[int, float]) -> Usage:
        return await self._end_call(key, hold, actual)

    async def release(self, key: str, hold: str) -> Usage:
        return await self._end_call(key, hold, NOTHING)

    async def aclose(self) -> dict[str, Usage]:
        """Settle every lease with what the run spent and give back its unused room.
        Reservations still open are dropped (their calls, if any, are past the run's
        end; settling one later still counts its spending). The store stays usable,
        a hold per call from then on. Returns each account as the run last saw it."""
        self.closed = True
        self._holds.clear()
        views = {}
        for key, lease in list(self._leases.items()):
            async with lease.lock:
                await _finish_pending(lease)
                lease.in_flight = NOTHING
                if lease.hold is not None or lease.unsynced != NOTHING:
                    await self._renew(key, lease, [NOTHING])
                views[key] = lease.view()
        return views

    def _fits(self, lease: _Lease, amount: Amount) -> bool:
        if lease.seen is None:  # never reached the store: its state is unknown
            return False
        room = lease.room()
        max_tokens, max_usd = lease.maximum
        if max_tokens is not None and amount[0] > room[0]:
            return False
        return max_usd is None or amount[1] <= room[1] + _USD_TOLERANCE

    def _sizes(self, key: str, lease: _Lease, amount: Amount) -> list[Amount]:
        """What to ask for, best first: a block, the call's amount; last, what the calls
        in flight hold (nothing new: the call is refused)."""
        floor = lease.in_flight
        block = amount if self.closed else self._block(key, lease, amount)
        wanted = [_plus(floor, block), _plus(floor, amount)]
        return [*dict.fromkeys(wanted), floor]

    def _block(self, key: str, lease: _Lease, amount: Amount) -> Amount:
        left = lease.left()
        if key in self.private:  # all the account has left: nothing else draws on it
            wanted = (left[0], left[1])
        else:
            wanted = (amount[0] * self.calls_per_lease, amount[1] * self.calls_per_lease)
            wanted = (min(wanted[0], left[0]), min(wanted[1], left[1]))
            wanted = self._within_private(wanted, amount)
        max_tokens, max_usd = lease.maximum
        tokens = amount[0] * self.calls_per_lease if max_tokens is None else wanted[0]
        usd = amount[1] * self.calls_per_lease if max_usd is None else wanted[1]
        return max(tokens, amount[0]), max(usd, amount[1])

    def _within_private(self, wanted: Amount, amount: Amount) -> Amount:
        """A run cannot spend more on a shared account than its private ones allow
        (each call reserves on all of them): no block beyond that."""
        for key in self.private:
            lease = self._leases.get(key)
            if lease is None or lease.seen is None:
                continue
            room = lease.room()
            max_tokens, max_usd = lease.maximum
            if max_tokens is not None:
                wanted = (min(wanted[0], amount[0] + max(room[0], 0)), wanted[1])
            if max_usd is not None:
                wanted = (wanted[0], min(wanted[1], amount[1] + max(room[1], 0.0)))
        return wanted

    async def _end_call(self, key: str, hold: str, actual: Amount) -> Usage:
        lease = self._leases.setdefault(key, _Lease())
        if _idle(lease) and not self._sync_due(lease):  # no await: no lock needed
            self._settle_here(key, lease, hold, actual)
            return lease.view()
        async with lease.lock:
            await _finish_pending(lease)
            self._settle_here(key, lease, hold, actual)
            if self._sync_due(lease):
                keep = NOTHING if self.closed else _clamp(lease.room())
                if lease.unsynced != NOTHING or self.closed:
                    await self._renew(key, lease, [_plus(lease.in_flight, keep)])
            return lease.view()

    def _settle_here(self, key: str, lease: _Lease, hold: str, actual: Amount) -> None:
        _, amount = self._holds.pop(hold, (key, NOTHING))
        lease.in_flight = _minus(lease.in_flight, amount)
        lease.unsynced = _plus(lease.unsynced, actual)

    def _sync_due(self, lease: _Lease) -> bool:
        return self.closed or self._clock() - lease.synced_at >= self.sync_seconds

    async def _renew(self, key: str, lease: _Lease, sizes: list[Amount]) -> int:
        """One renewal, carried to its end even if the caller is cancelled meanwhile
        (the store commits it either way; the lease must match what it holds)."""

        async def renew() -> int:
            hold, index, usage = await self.store.renew(
                key, lease.hold, lease.unsynced, sizes, lease.maximum, lease.holder
            )
            lease.hold, lease.granted, lease.unsynced = hold, sizes[index], NOTHING
            lease.seen, lease.synced_at = usage, self._clock()
            return index

        task = asyncio.ensure_future(renew())
        lease.pending = task
        index = await asyncio.shield(task)
        lease.pending = None
        return index


def _clamp(room: Amount) -> Amount:
    return max(room[0], 0), max(room[1], 0.0)


def _idle(lease: _Lease) -> bool:
    """No renewal under way or left running: the lease's numbers are settled."""
    return not lease.lock.locked() and (lease.pending is None or lease.pending.done())


async def _finish_pending(lease: _Lease) -> None:
    """A renewal whose caller was cancelled may still be running: wait for it, so the
    lease is not renewed twice from the same state (its own error is its caller's)."""
    if lease.pending is not None:
        await asyncio.wait([lease.pending])
        lease.pending = None
