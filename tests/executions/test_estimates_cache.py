"""Plan estimates from past runs: computed once a minute, not once per request."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Agent
from executions.models import Execution
from executions.selectors import AVERAGES_CACHE_KEY, team_for

pytestmark = pytest.mark.django_db


def aggregates_of_runs(context: CaptureQueriesContext) -> int:
    return sum("AVG(" in q["sql"].upper() and "executions_execution" in q["sql"] for q in context)


@pytest.fixture
def history(seeded: None) -> None:
    """One finished specialist run: what estimates are averaged from."""
    agent = Agent.objects.exclude(department=None).first()
    Execution.objects.create(kind="specialist", agent=agent, status="completed", total_tokens=900)


def test_the_run_history_is_aggregated_once_for_many_requests(history: None) -> None:
    with CaptureQueriesContext(connection) as first:
        team_for(None)
    with CaptureQueriesContext(connection) as later:
        team_for(None)
        team_for(None)

    assert aggregates_of_runs(first) == 1
    assert aggregates_of_runs(later) == 0


def test_estimates_are_computed_again_once_the_cache_lets_them_go(history: None) -> None:
    team_for(None)
    cache.delete(AVERAGES_CACHE_KEY)  # what the minute's timeout does

    with CaptureQueriesContext(connection) as again:
        team_for(None)

    assert aggregates_of_runs(again) == 1


def test_with_no_history_yet_the_next_run_is_estimated_from_the_first(seeded: None) -> None:
    team_for(None)  # a new install: nothing to average, nothing kept

    with CaptureQueriesContext(connection) as next_request:
        team_for(None)

    assert aggregates_of_runs(next_request) == 1
