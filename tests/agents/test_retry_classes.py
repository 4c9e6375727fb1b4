"""Each error class of spec 8.1 with its own retry strategy (spec 8.2), through the
real litellm path against the fake server, with the policy built from settings."""

from __future__ import annotations

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from agents.llm.client import LitellmClient, LitellmCosts
from agents.runtime import retry_policy
from agents.tools.executor import DjangoToolExecutor
from engine.breaker import BreakerRegistry
from engine.gateway import Gateway
from engine.retry import RetryPolicy
from engine.runtime import AgentRunner, AgentTask
from executions.models import Execution
from executions.recorder import DjangoRunRecorder
from tests.agents.conftest import Harness
from tests.agents.test_runtime import setup
from tests.support.fake_llm import disconnect, http_error, text

pytestmark = pytest.mark.django_db(transaction=True)
MARK = "You create characters"


def runner(harness: Harness, policy: RetryPolicy) -> AgentRunner:
    gateway = Gateway(
        LitellmClient(api_base=harness.server.base_url, api_key="test-key", timeout=5),
        costs=LitellmCosts(),
        breakers=BreakerRegistry(clock=harness.clock),
        retry=policy,
        sleep=harness.sleeps,
        rng=lambda: 0.5,  # no jitter
    )
    recorder = DjangoRunRecorder()
    return AgentRunner(gateway, DjangoToolExecutor(recorder), recorder)


@pytest.fixture
def policy(settings: SettingsWrapper) -> RetryPolicy:
    settings.ALADDIN_RETRY_ATTEMPTS = 4
    settings.ALADDIN_RETRY_BASE_DELAY = 1.0
    settings.ALADDIN_RETRY_MAX_DELAY = 30.0
    settings.ALADDIN_RETRY_STRATEGIES = ""
    return retry_policy()


async def run_once(harness: Harness, policy: RetryPolicy, times: int = 1) -> list[Execution]:
    spec, project = await setup()
    done = []
    for _ in range(times):
        result = await runner(harness, policy).run(
            AgentTask(spec=spec, prompt="x", project_id=project.pk)
        )
        done.append(await Execution.objects.aget(execution_id=result.execution_id))
    return done


async def test_rate_limits_back_off_exponentially(harness: Harness, policy: RetryPolicy) -> None:
    harness.server.script(MARK, http_error(429), http_error(429), http_error(429), text("ok"))
    [execution] = await run_once(harness, policy)
    assert execution.status == "completed"
    assert harness.sleeps.delays == [1.0, 2.0, 4.0]


async def test_timeouts_wait_linearly(harness: Harness, policy: RetryPolicy) -> None:
    harness.server.script(MARK, http_error(408), http_error(504), http_error(408), text("ok"))
    [execution] = await run_once(harness, policy)
    assert execution.status == "completed"
    assert harness.sleeps.delays == [1.0, 2.0, 3.0]


async def test_network_errors_follow_fibonacci(harness: Harness, policy: RetryPolicy) -> None:
    harness.server.script(MARK, disconnect(), disconnect(), disconnect(), text("ok"))
    [execution] = await run_once(harness, policy)
    assert execution.status == "completed"
    assert "network_error" in execution.retry_reason
    assert harness.sleeps.delays == [1.0, 1.0, 2.0]


async def test_validation_and_auth_errors_are_never_retried(
    harness: Harness, policy: RetryPolicy
) -> None:
    harness.server.script(MARK, http_error(400), http_error(401))
    first, second = await run_once(harness, policy, times=2)
    assert (first.error_type, second.error_type) == ("validation_error", "authentication_error")
    assert len(harness.server.requests) == 2 and harness.sleeps.delays == []


async def test_settings_give_a_class_its_own_strategy_and_attempts_or_none(
    harness: Harness, settings: SettingsWrapper, policy: RetryPolicy
) -> None:
    settings.ALADDIN_RETRY_STRATEGIES = "rate_limit=linear:2,service_unavailable=off"
    custom = retry_policy()
    harness.server.script(MARK, http_error(429), http_error(429), http_error(503))
    limited, unavailable = await run_once(harness, custom, times=2)
    assert limited.error_type == "rate_limit" and harness.sleeps.delays == [1.0]
    assert unavailable.error_type == "service_unavailable"
    assert len(harness.server.requests) == 3


async def test_a_retry_after_past_the_ceiling_fails_at_once_instead_of_waiting(
    harness: Harness, settings: SettingsWrapper, policy: RetryPolicy
) -> None:
    settings.ALADDIN_RETRY_AFTER_MAX_SECONDS = 60
    harness.server.script(MARK, http_error(429, headers={"Retry-After": "3600"}), text("ok"))
    [execution] = await run_once(harness, retry_policy())
    assert execution.status == "failed" and execution.error_type == "rate_limit"
    assert harness.sleeps.delays == []
    message = (execution.error or {})["message"]
    assert "3600 s" in message and "ALADDIN_RETRY_AFTER_MAX_SECONDS" in message


async def test_a_retry_after_within_the_ceiling_is_honoured(
    harness: Harness, policy: RetryPolicy
) -> None:
    harness.server.script(MARK, http_error(429, headers={"Retry-After": "7"}), text("ok"))
    [execution] = await run_once(harness, policy)
    assert execution.status == "completed" and harness.sleeps.delays == [7.0]
