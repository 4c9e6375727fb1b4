"""A project's budgets: negative or non-numeric values are refused by the database and
by the admin with a clear message; USD 0 is a budget of nothing, blank is no limit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from tests import factories
from tests.brain.admin_forms import assert_saved, submit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["usd_budget_per_execution", "usd_budget_daily"])
def test_database_refuses_a_negative_usd_budget(field: str) -> None:
    project = factories.project()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(project).objects.filter(pk=project.pk).update(**{field: Decimal("-1")})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("usd_budget_daily", "-1", "greater than or equal to 0"),
        ("usd_budget_per_execution", "-0.5", "greater than or equal to 0"),
        ("usd_budget_daily", "nan", "Enter a number"),
        ("token_budget_daily", "-5", "greater than or equal to"),
    ],
)
def test_admin_refuses_a_bad_budget_with_a_clear_message(
    admin_client: Client, field: str, value: str, message: str
) -> None:
    project = factories.project()
    response = submit(admin_client, f"/admin/brain/project/{project.pk}/change/", **{field: value})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_admin_keeps_a_usd_budget_of_zero(admin_client: Client) -> None:
    project = factories.project()
    response = submit(
        admin_client, f"/admin/brain/project/{project.pk}/change/", usd_budget_daily="0"
    )
    assert_saved(response)
    project.refresh_from_db()
    assert project.usd_budget_daily == Decimal("0")
