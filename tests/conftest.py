"""Shared fixtures: factories for the common rows, the fake LLM server, services."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.test import Client

from tests.support.fixtures import *  # noqa: F403  (fake_llm, fake_llm_session)


def service_url(name: str) -> str:
    """The URL of a test server started by scripts/services.sh, e.g. TEST_REDIS_URL.

    Under `make test` a missing server is a failure; elsewhere the test is skipped
    with a note on how to start it.
    """
    url = os.environ.get(f"TEST_{name.upper()}_URL", "")
    if url:
        return url
    message = f"TEST_{name.upper()}_URL is not set; run `make services-start` to start {name}."
    if os.environ.get("ALADDIN_REQUIRE_SERVICES", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def egress_allows_loopback(settings: Any) -> None:
    """Fake partner servers listen on loopback, which the egress guard refuses by
    default (aladdin/egress.py); tests that use them allow it explicitly."""
    settings.ALADDIN_EGRESS_ALLOW = ["127.0.0.0/8", "::1/128"]


@pytest.fixture
def admin_user(db: None) -> AbstractUser:
    user_model = get_user_model()
    return user_model.objects.create_superuser("boss", "boss@example.com", "pw-boss-123")


@pytest.fixture
def admin_client(admin_user: AbstractUser) -> Iterator[Client]:
    client = Client()
    client.force_login(admin_user)
    yield client


@pytest.fixture
def seeded(db: None) -> None:
    from aladdin.seeding import seed_all

    seed_all()


@pytest.fixture(scope="session", autouse=True)
def close_async_orm_connections(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Async tests reach the database from asgiref's worker thread and the run writer's
    thread, whose connections would otherwise stay open and block dropping the
    PostgreSQL test database."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    from executions.events import close_writer_connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)
    close_writer_connections()


@pytest.fixture(autouse=True)
def fresh_run_estimates() -> Iterator[None]:
    """Plan estimates and the team's rows are kept across runs; each test starts from
    its own database, not the previous test's (a rollback can bring back a table that
    looks unchanged)."""
    from django.core.cache import cache

    from executions.selectors import AVERAGES_CACHE_KEY, forget_team_rows

    cache.delete(AVERAGES_CACHE_KEY)
    forget_team_rows()
    yield
    cache.delete(AVERAGES_CACHE_KEY)
    forget_team_rows()
