"""Runs started per user per minute (spec 10.2), counted in the cache (Redis when set)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


class ExecutionRateThrottle(SimpleRateThrottle):
    """One budget for agent and orchestration runs: both start model calls."""

    scope = "executions"

    def get_rate(self) -> str:
        # Read on every request so a changed setting applies without a restart of the class.
        return str(settings.ALADDIN_EXECUTION_RATE)

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
