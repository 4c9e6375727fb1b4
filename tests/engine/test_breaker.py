import asyncio
import threading

import pytest

from engine.breaker import BreakerRegistry, BreakerState, CircuitBreaker
from engine.errors import AladdinError, ErrorType


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Calls:
    """Counts calls; fails with `error` while it is set."""

    def __init__(self):
        self.count = 0
        self.error = None

    async def __call__(self):
        self.count += 1
        if self.error is not None:
            raise self.error
        return "ok"


def provider_down():
    return AladdinError(ErrorType.SERVICE_UNAVAILABLE, "503")


async def fail(breaker, times, error_factory=provider_down):
    for _ in range(times):
        calls = Calls()
        calls.error = error_factory()
        with pytest.raises(AladdinError):
            await breaker.call(calls)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def breaker(clock):
    return CircuitBreaker("openai/gpt-4o", clock=clock)


async def test_a_closed_breaker_passes_results_through(breaker):
    assert await breaker.call(Calls()) == "ok"
    assert breaker.state is BreakerState.CLOSED


async def test_breaker_stays_closed_below_the_threshold(breaker):
    await fail(breaker, 4)
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failure_count == 4


async def test_breaker_opens_after_five_consecutive_failures(breaker):
    await fail(breaker, 5)
    assert breaker.state is BreakerState.OPEN


async def test_a_success_resets_the_consecutive_failure_count(breaker):
    await fail(breaker, 4)
    await breaker.call(Calls())
    await fail(breaker, 4)
    assert breaker.state is BreakerState.CLOSED


async def test_open_breaker_rejects_without_calling_fn(breaker, clock):
    await fail(breaker, 5)
    clock.now += 20
    calls = Calls()
    with pytest.raises(AladdinError) as caught:
        await breaker.call(calls)
    assert calls.count == 0
    error = caught.value
    assert error.type is ErrorType.CIRCUIT_OPEN
    assert not error.retryable
    assert str(error) == (
        "circuit for openai/gpt-4o is open after 5 consecutive failures; retrying in 40 s"
    )
    assert error.details == {"model": "openai/gpt-4o", "retryIn": 40.0}


async def test_open_breaker_turns_half_open_after_sixty_seconds(breaker, clock):
    await fail(breaker, 5)
    clock.now += 59.9
    assert breaker.state is BreakerState.OPEN
    clock.now += 0.1
    assert breaker.state is BreakerState.HALF_OPEN
    calls = Calls()
    assert await breaker.call(calls) == "ok"
    assert calls.count == 1


async def test_half_open_breaker_closes_after_two_successes(breaker, clock):
    await fail(breaker, 5)
    clock.now += 60
    await breaker.call(Calls())
    assert breaker.state is BreakerState.HALF_OPEN
    await breaker.call(Calls())
    assert breaker.state is BreakerState.CLOSED
    assert (breaker.failure_count, breaker.success_count) == (0, 0)


async def test_a_half_open_failure_reopens_the_breaker_for_another_timeout(breaker, clock):
    await fail(breaker, 5)
    clock.now += 60
    await breaker.call(Calls())
    await fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN
    assert breaker.success_count == 0
    clock.now += 59
    with pytest.raises(AladdinError, match="retrying in 1 s"):
        await breaker.call(Calls())


@pytest.mark.parametrize(
    "error_type",
    [ErrorType.INVALID_INPUT, ErrorType.BUDGET_EXCEEDED, ErrorType.CONTEXT_TOO_LARGE],
)
async def test_caller_errors_pass_through_without_counting(breaker, error_type):
    await fail(breaker, 10, lambda: AladdinError(error_type, "caller's fault"))
    assert breaker.state is BreakerState.CLOSED
    assert breaker.failure_count == 0


async def test_caller_errors_in_half_open_do_not_reopen(breaker, clock):
    await fail(breaker, 5)
    clock.now += 60
    await fail(breaker, 1, lambda: AladdinError(ErrorType.VALIDATION_ERROR, "bad"))
    assert breaker.state is BreakerState.HALF_OPEN


async def test_cancellation_does_not_count_and_still_propagates(breaker):
    async def cancelled():
        raise asyncio.CancelledError

    for _ in range(6):
        with pytest.raises(asyncio.CancelledError):
            await breaker.call(cancelled)
    assert breaker.state is BreakerState.CLOSED


async def test_unclassified_exceptions_count_as_failures(breaker):
    for _ in range(5):
        with pytest.raises(ConnectionResetError):
            await breaker.call(_raise(ConnectionResetError()))
    assert breaker.state is BreakerState.OPEN


def _raise(error):
    async def fn():
        raise error

    return fn


async def test_snapshot_reports_counts_and_time_to_retry(breaker, clock):
    assert breaker.snapshot() == {
        "name": "openai/gpt-4o",
        "state": "closed",
        "failureCount": 0,
        "successCount": 0,
        "lastFailureAt": None,
        "retryIn": None,
    }
    await fail(breaker, 5)
    clock.now += 15
    snapshot = breaker.snapshot()
    assert snapshot["state"] == "open"
    assert snapshot["failureCount"] == 5
    assert snapshot["lastFailureAt"] == 1000.0
    assert snapshot["retryIn"] == 45.0
    clock.now += 45
    assert breaker.snapshot()["state"] == "half-open"
    assert breaker.snapshot()["retryIn"] is None


async def test_custom_thresholds_are_respected(clock):
    breaker = CircuitBreaker(
        "m", failure_threshold=2, reset_timeout=5, half_open_successes=1, clock=clock
    )
    await fail(breaker, 2)
    assert breaker.state is BreakerState.OPEN
    clock.now += 5
    await breaker.call(Calls())
    assert breaker.state is BreakerState.CLOSED


def test_registry_returns_one_breaker_per_name_with_shared_settings(clock):
    registry = BreakerRegistry(failure_threshold=3, clock=clock)
    first = registry.get("a")
    assert registry.get("a") is first
    assert registry.get("b") is not first
    assert first.failure_threshold == 3


async def test_registry_snapshot_lists_every_breaker_by_name(clock):
    registry = BreakerRegistry(failure_threshold=1, clock=clock)
    registry.get("zeta")
    await fail(registry.get("alpha"), 1)
    snapshot = registry.snapshot()
    assert [(item["name"], item["state"]) for item in snapshot] == [
        ("alpha", "open"),
        ("zeta", "closed"),
    ]


def test_registry_creates_one_breaker_per_name_across_threads():
    registry = BreakerRegistry()
    seen = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        seen.append(registry.get("shared"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(breaker) for breaker in seen}) == 1
