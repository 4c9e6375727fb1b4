"""The LLM gateway's policy: token limits, budgets, retries and the circuit breaker.

It wraps a raw LLMClient (one HTTP call, errors classified) so every LLM call
of every agent goes through the same rules: refuse oversized input, cap output,
reserve budget before the call and settle it after, retry transient failures
with spec 8.2's strategies, and stop calling a model whose breaker is open.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from engine import jsontext
from engine.breaker import BreakerRegistry
from engine.budgets import BudgetLedger, Reservation, TokenLimits, estimate_tokens
from engine.errors import AladdinError, ErrorType
from engine.ports import CostEstimator, LLMClient, LLMRequest, LLMResponse
from engine.retry import RetryAttempt, RetryConfig, RetryPolicy, call_with_retry

RetryListener = Callable[[RetryAttempt], Awaitable[None]]
CHARS_PER_TOKEN = 4  # as estimate_tokens counts


@dataclass(frozen=True)
class CallBudget:
    """The limits one call must respect: the agent's role limits and the ledgers."""

    limits: TokenLimits
    ledgers: Sequence[BudgetLedger] = ()


@dataclass(frozen=True)
class GatewayReply:
    response: LLMResponse
    retries: int
    retry_reasons: tuple[str, ...]


def estimate_input_tokens(request: LLMRequest) -> int:
    text = jsontext.dumps(request.messages)
    if request.response_schema:
        text += jsontext.dumps(request.response_schema)
    for tool in request.tools:
        text += tool.description + jsontext.dumps(tool.input_schema)
    return estimate_tokens(text)


class Gateway:
    def __init__(
        self,
        client: LLMClient,
        *,
        costs: CostEstimator,
        breakers: BreakerRegistry | None = None,
        retry: RetryConfig | RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.costs = costs
        self.breakers = breakers or BreakerRegistry()
        self.retry = retry or RetryPolicy.default()
        self._sleep = sleep
        self._rng = rng

    async def complete(
        self,
        request: LLMRequest,
        budget: CallBudget,
        *,
        on_retry: RetryListener | None = None,
    ) -> GatewayReply:
        input_tokens = estimate_input_tokens(request)
        if input_tokens > budget.limits.max_input:
            raise AladdinError(
                ErrorType.CONTEXT_TOO_LARGE,
                f"The request is about {input_tokens:,} tokens; this agent may send at most "
                f"{budget.limits.max_input}. Shorten the task or the context it requires.",
                details={"estimatedTokens": input_tokens, "maxInput": budget.limits.max_input},
            )
        request = replace(request, max_tokens=min(request.max_tokens, budget.limits.max_output))
        reservations = await self._reserve(request, input_tokens, budget.ledgers)
        attempts: list[RetryAttempt] = []

        async def remember(attempt: RetryAttempt) -> None:
            attempts.append(attempt)
            if on_retry is not None:
                await on_retry(attempt)

        try:
            response = await call_with_retry(
                lambda: self._call_once(request),
                self.retry,
                sleep=self._sleep,
                rng=self._rng,
                on_retry=remember,
            )
        except BaseException:
            await asyncio.shield(_release(reservations))
            raise
        response = self._within_max_tokens(response, request.max_tokens)
        for ledger, reservation in reservations:
            await ledger.settle(reservation, response.total_tokens, response.cost)
        reasons = tuple(f"{a.error.type}: {a.error}" for a in attempts)
        return GatewayReply(response=response, retries=len(attempts), retry_reasons=reasons)

    def _within_max_tokens(self, response: LLMResponse, max_tokens: int) -> LLMResponse:
        """A provider that ignores max_tokens (some local servers do) must not charge
        the run for it: the answer is cut at the limit and counted at the limit."""
        if response.output_tokens <= max_tokens:
            return response
        cost = response.cost
        if cost is not None:
            cost = self.costs.estimate(response.model, response.input_tokens, max_tokens)
        content = response.content
        if content is not None:
            content = content[: max_tokens * CHARS_PER_TOKEN]
        return replace(response, content=content, output_tokens=max_tokens, cost=cost)

    async def _call_once(self, request: LLMRequest) -> LLMResponse:
        breaker = self.breakers.get(request.model)
        return await breaker.call(lambda: self.client.complete(request))

    async def _reserve(
        self, request: LLMRequest, input_tokens: int, ledgers: Sequence[BudgetLedger]
    ) -> list[tuple[BudgetLedger, Reservation]]:
        tokens = input_tokens + request.output_estimate
        usd = self.costs.estimate(request.model, input_tokens, request.output_estimate)
        taken: list[tuple[BudgetLedger, Reservation]] = []
        try:
            for ledger in ledgers:
                taken.append((ledger, await ledger.reserve(tokens, usd)))
        except BaseException:
            await asyncio.shield(_release(taken))
            raise
        return taken


async def _release(reservations: Sequence[tuple[BudgetLedger, Reservation]]) -> None:
    for ledger, reservation in reservations:
        await ledger.release(reservation)
