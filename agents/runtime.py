"""The LLM path of this process: the LLM client ALADDIN_LLM_CLIENT chooses (the fast
path for OpenAI-compatible endpoints, else litellm) behind the engine's Gateway, with one
circuit breaker per model and the retry policy of spec 8.1/8.2 from settings.

Runners (gateway, tools, recorder) are built where runs live, in
executions.runners; this app sits below executions and never imports it.
"""

from __future__ import annotations

from django.conf import settings

from agents.llm.openai_fast import build_client, build_costs
from engine.breaker import BreakerRegistry
from engine.gateway import Gateway
from engine.retry import RetryConfig, RetryPolicy, parse_policy

# One registry per process: every run in this process shares each model's breaker,
# and the dashboard and /healthz read their state from here.
BREAKERS = BreakerRegistry()


def retry_policy() -> RetryPolicy:
    """Each transient error class with its own strategy (ALADDIN_RETRY_STRATEGIES),
    attempts and delays from ALADDIN_RETRY_*, and the Retry-After ceiling."""
    base = RetryConfig(
        max_attempts=settings.ALADDIN_RETRY_ATTEMPTS,
        base_delay=settings.ALADDIN_RETRY_BASE_DELAY,
        max_delay=settings.ALADDIN_RETRY_MAX_DELAY,
    )
    return parse_policy(
        settings.ALADDIN_RETRY_STRATEGIES,
        base,
        max_retry_after=settings.ALADDIN_RETRY_AFTER_MAX_SECONDS,
    )


def build_gateway(api_key: str | None = None) -> Gateway:
    """`api_key`: a project's own provider key; None uses ALADDIN_LLM_API_KEY."""
    return Gateway(
        build_client(api_key),
        costs=build_costs(),
        breakers=BREAKERS,
        retry=retry_policy(),
    )
