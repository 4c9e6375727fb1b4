"""Webhooks fire from a real orchestration's event log, in process on the embedded default."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from pytest_django.fixtures import Settings as SettingsWrapper

from brain.models import Project
from executions.models import ExecutionEvent
from executions.services import create_orchestration, run_orchestration
from tests.support.receiver import Receiver
from webhooks.models import Webhook, WebhookDelivery
from webhooks.services import wait_for_deliveries

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings: SettingsWrapper) -> Iterator[Receiver]:
    settings.ALADDIN_EGRESS_ALLOW = ["127.0.0.0/8"]
    with Receiver() as server:
        yield server


async def test_every_event_of_a_run_reaches_a_catch_all_webhook_in_order(
    seeded: None, receiver: Receiver
) -> None:
    project = await Project.objects.aget(slug="the-lantern-keepers")
    await Webhook.objects.acreate(
        project=project, name="All", url=receiver.url, events=["*"], secret="k"
    )
    await Webhook.objects.acreate(
        project=project,
        name="Done",
        url=receiver.url + "/done",
        events=["orchestration-complete"],
        secret="k",
    )
    root = await sync_to_async(create_orchestration)(project, "Create a villain for episode 2")
    response = await run_orchestration(str(root.execution_id))  # the demo model
    await wait_for_deliveries()

    assert response["status"] == "completed"
    logged = [e.type async for e in ExecutionEvent.objects.filter(execution=root)]
    catch_all = [r for r in receiver.requests if r.path == "/hook"]
    assert len(catch_all) == len(logged)
    assert sorted(json.loads(r.body)["data"]["sequence"] for r in catch_all) == list(
        range(1, len(logged) + 1)
    )
    [done] = [r for r in receiver.requests if r.path == "/hook/done"]
    assert json.loads(done.body)["event"] == "orchestration-complete"
    assert await WebhookDelivery.objects.exclude(status="delivered").acount() == 0
