"""An agent cannot be set to run (and spend) without end: steps and retries have bounds,
refused by the database and shown as admin form errors."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from tests import factories
from tests.brain.admin_forms import submit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [{"max_agent_steps": 1_000_000}, {"max_agent_steps": 0}, {"max_retries": 11}],
)
def test_database_refuses_steps_and_retries_out_of_bounds(fields: dict[str, int]) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.agent(**fields)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_agent_steps", 1_000_000, "less than or equal to 100"),
        ("max_retries", 100_000, "less than or equal to 10"),
        ("quality_threshold", 1000, "less than or equal to 100"),
    ],
)
def test_admin_shows_a_clear_error_for_an_out_of_range_value(
    admin_client: Client, field: str, value: int, message: str
) -> None:
    agent = factories.agent()
    response = submit(admin_client, f"/admin/agents/agent/{agent.pk}/change/", **{field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
