import pytest

from engine.errors import AladdinError, ErrorType
from engine.retry import (
    RetryAttempt,
    RetryConfig,
    RetryStrategy,
    call_with_retry,
    compute_delay,
)


class FakeSleep:
    def __init__(self):
        self.delays = []

    async def __call__(self, delay):
        self.delays.append(delay)


class Flaky:
    """Fails with the given errors in turn, then returns "ok"."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def transient(retry_after=None):
    return AladdinError(ErrorType.RATE_LIMIT, "429", retry_after=retry_after)


def no_jitter(**kwargs):
    return RetryConfig(jitter=False, **kwargs)


def delays(config, count):
    return [compute_delay(attempt, config) for attempt in range(count)]


def test_defaults_match_the_spec():
    config = RetryConfig()
    assert (config.max_attempts, config.strategy, config.base_delay) == (
        3,
        RetryStrategy.EXPONENTIAL,
        1.0,
    )
    assert (config.max_delay, config.multiplier, config.jitter) == (30.0, 2.0, True)
    assert RetryStrategy.EXPONENTIAL == "exponential-backoff"


def test_linear_delay_grows_by_the_base_delay():
    assert delays(no_jitter(strategy=RetryStrategy.LINEAR), 4) == [1.0, 2.0, 3.0, 4.0]


def test_exponential_delay_doubles_and_caps_at_max_delay():
    config = no_jitter(max_delay=10.0)
    assert delays(config, 6) == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_fibonacci_delay_follows_the_sequence():
    config = no_jitter(strategy="fibonacci", base_delay=0.5)
    assert delays(config, 6) == [0.5, 0.5, 1.0, 1.5, 2.5, 4.0]


def test_jitter_stays_within_a_quarter_either_side():
    config = RetryConfig(base_delay=4.0)
    assert compute_delay(0, config, rng=lambda: 0.0) == 3.0
    assert compute_delay(0, config, rng=lambda: 1.0) == 5.0
    assert compute_delay(0, config, rng=lambda: 0.5) == 4.0


def test_jitter_applies_after_the_cap():
    config = RetryConfig(base_delay=100.0, max_delay=8.0)
    assert compute_delay(0, config, rng=lambda: 1.0) == 10.0


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"base_delay": -1.0}, {"max_delay": -0.5}, {"strategy": "random"}],
)
def test_invalid_configs_are_refused(kwargs):
    with pytest.raises(ValueError):
        RetryConfig(**kwargs)


async def test_transient_errors_are_retried_until_success():
    sleep = FakeSleep()
    fn = Flaky(transient(), transient())
    assert await call_with_retry(fn, no_jitter(), sleep=sleep) == "ok"
    assert fn.calls == 3
    assert sleep.delays == [1.0, 2.0]


async def test_each_strategy_produces_its_delay_sequence():
    for strategy, expected in [
        (RetryStrategy.LINEAR, [2.0, 4.0, 6.0]),
        (RetryStrategy.EXPONENTIAL, [2.0, 4.0, 8.0]),
        (RetryStrategy.FIBONACCI, [2.0, 2.0, 4.0]),
    ]:
        sleep = FakeSleep()
        config = no_jitter(strategy=strategy, base_delay=2.0, max_attempts=4)
        await call_with_retry(Flaky(transient(), transient(), transient()), config, sleep=sleep)
        assert sleep.delays == expected, strategy


async def test_fixed_rng_makes_jittered_delays_reproducible():
    sleep = FakeSleep()
    await call_with_retry(Flaky(transient()), RetryConfig(), sleep=sleep, rng=lambda: 0.0)
    assert sleep.delays == [0.75]


async def test_the_last_error_is_raised_with_the_attempt_count_and_no_final_sleep():
    sleep = FakeSleep()
    errors = [transient(), transient(), transient()]
    fn = Flaky(*errors)
    with pytest.raises(AladdinError) as caught:
        await call_with_retry(fn, no_jitter(), sleep=sleep)
    assert caught.value is errors[-1]
    assert caught.value.details["attempts"] == 3
    assert fn.calls == 3
    assert len(sleep.delays) == 2


async def test_non_retryable_errors_fail_fast_with_one_call():
    sleep = FakeSleep()
    fn = Flaky(AladdinError(ErrorType.AUTHENTICATION_ERROR, "bad key"), transient())
    with pytest.raises(AladdinError) as caught:
        await call_with_retry(fn, no_jitter(), sleep=sleep)
    assert caught.value.type is ErrorType.AUTHENTICATION_ERROR
    assert caught.value.details["attempts"] == 1
    assert fn.calls == 1
    assert sleep.delays == []


async def test_plain_exceptions_are_not_retried():
    fn = Flaky(RuntimeError("bug"))
    with pytest.raises(RuntimeError):
        await call_with_retry(fn, no_jitter(), sleep=FakeSleep())
    assert fn.calls == 1


async def test_retry_after_longer_than_the_backoff_is_honoured_even_past_max_delay():
    sleep = FakeSleep()
    config = no_jitter(max_delay=5.0)
    await call_with_retry(Flaky(transient(retry_after=42.0)), config, sleep=sleep)
    assert sleep.delays == [42.0]


async def test_retry_after_shorter_than_the_backoff_does_not_shorten_it():
    sleep = FakeSleep()
    config = no_jitter(base_delay=4.0)
    await call_with_retry(Flaky(transient(retry_after=0.5)), config, sleep=sleep)
    assert sleep.delays == [4.0]


async def test_on_retry_is_told_each_attempt_before_sleeping():
    events = []
    sleep = FakeSleep()

    async def on_retry(attempt: RetryAttempt) -> None:
        events.append((attempt.attempt, attempt.delay, attempt.error.type, len(sleep.delays)))

    await call_with_retry(
        Flaky(transient(), transient()), no_jitter(), sleep=sleep, on_retry=on_retry
    )
    assert events == [(1, 1.0, ErrorType.RATE_LIMIT, 0), (2, 2.0, ErrorType.RATE_LIMIT, 1)]


async def test_a_single_attempt_config_never_sleeps():
    sleep = FakeSleep()
    with pytest.raises(AladdinError):
        await call_with_retry(Flaky(transient()), no_jitter(max_attempts=1), sleep=sleep)
    assert sleep.delays == []
