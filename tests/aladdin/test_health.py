"""/readyz: every configured part is checked; a part that is down gives 503 naming it."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.conftest import service_url

pytestmark = pytest.mark.django_db


def test_readyz_is_ready_on_the_embedded_default(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["down"] == []
    assert body["parts"]["database"] == {"ok": True}


@pytest.mark.redis
@pytest.mark.neo4j
def test_readyz_checks_redis_neo4j_and_the_broker_when_configured(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.REDIS_URL = service_url("redis")
    settings.NEO4J_URL = service_url("neo4j")
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    settings.CELERY_TASK_ALWAYS_EAGER = False
    body = client.get("/readyz").json()
    assert {"database", "redis", "neo4j", "celeryBroker", "llm"} <= set(body["parts"])
    assert body["down"] == []


def test_readyz_names_the_part_that_is_down(client: Client, settings: SettingsWrapper) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["redis"] and body["status"] == "unavailable"
    assert "detail" not in body["parts"]["redis"]  # details are for system:metrics only


def test_readyz_details_are_shown_to_system_metrics_holders(
    admin_client: Client, settings: SettingsWrapper
) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    body = admin_client.get("/readyz").json()
    assert "Error" in body["parts"]["redis"]["detail"]
