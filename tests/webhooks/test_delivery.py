"""Webhooks (spec 13.2): signed deliveries, retries with backoff, the outbox, SSRF refusal."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from tests import factories
from tests.support.receiver import Receiver
from webhooks.models import Webhook, WebhookDelivery
from webhooks.services import claim, deliver, deliver_due, queue_deliveries, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def loopback_allowed(settings: SettingsWrapper) -> None:
    # The receiver is on loopback, which the egress guard refuses unless allowed.
    settings.ALADDIN_EGRESS_ALLOW = ["127.0.0.0/8"]
    settings.ALADDIN_WEBHOOK_RETRY_BASE_SECONDS = 0.0


def hook(url: str, events: list[str] | None = None, **fields: object) -> Webhook:
    return Webhook.objects.create(
        project=fields.pop("project", None) or factories.project(),
        name="Office",
        url=url,
        events=events or ["*"],
        secret="s3cret",
        **fields,
    )


def test_delivery_is_signed_with_hmac_sha256_of_the_exact_body(
    receiver: Receiver, loopback_allowed: None
) -> None:
    webhook = hook(receiver.url)
    [delivery_id] = queue_deliveries(webhook.project_id, "orchestration-complete", {"x": 1})
    row = deliver(delivery_id)
    assert row is not None and row.status == WebhookDelivery.Status.DELIVERED
    [request] = receiver.requests
    expected = hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Webhook-Signature"] == expected == sign("s3cret", request.body)
    assert request.headers["X-Webhook-Event"] == "orchestration-complete"
    body = json.loads(request.body)
    assert body["event"] == "orchestration-complete" and body["data"] == {"x": 1}
    assert row.last_status_code == 200 and row.attempts == 1


def test_the_event_filter_selects_webhooks(receiver: Receiver, loopback_allowed: None) -> None:
    project = factories.project()
    only_complete = hook(receiver.url, ["orchestration-complete"], project=project)
    every = hook(receiver.url, ["*"], project=project)
    hook(receiver.url, ["*"], project=project, is_active=False)
    ids = queue_deliveries(project.pk, "department-complete", {})
    assert [WebhookDelivery.objects.get(pk=i).webhook for i in ids] == [every]
    ids = queue_deliveries(project.pk, "orchestration-complete", {})
    assert {WebhookDelivery.objects.get(pk=i).webhook for i in ids} == {only_complete, every}


def test_a_failing_receiver_gets_retries_until_the_limit(
    receiver: Receiver, loopback_allowed: None
) -> None:
    receiver.statuses = [500]
    webhook = hook(receiver.url, max_attempts=3)
    [delivery_id] = queue_deliveries(webhook.project_id, "error", {})
    for _ in range(3):
        assert deliver(delivery_id) is not None
    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert row.status == WebhookDelivery.Status.FAILED
    assert row.attempts == 3 and row.last_status_code == 500 and "HTTP 500" in row.last_error
    assert len(receiver.requests) == 3
    assert deliver(delivery_id) is None  # given up: nothing more is sent
    assert len(receiver.requests) == 3


def test_a_receiver_that_recovers_gets_the_delivery(
    receiver: Receiver, loopback_allowed: None
) -> None:
    receiver.statuses = [503, 200]
    webhook = hook(receiver.url)
    [delivery_id] = queue_deliveries(webhook.project_id, "error", {})
    first = deliver(delivery_id)
    assert first is not None and first.status == WebhookDelivery.Status.PENDING
    assert deliver_due() == 1
    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert row.status == WebhookDelivery.Status.DELIVERED and row.attempts == 2


def test_retries_back_off_exponentially(
    receiver: Receiver, settings: SettingsWrapper, loopback_allowed: None
) -> None:
    settings.ALADDIN_WEBHOOK_RETRY_BASE_SECONDS = 10.0
    receiver.statuses = [500]
    webhook = hook(receiver.url, max_attempts=5)
    [delivery_id] = queue_deliveries(webhook.project_id, "error", {})
    waits = []
    for _ in range(3):
        before = timezone.now()
        row = deliver(delivery_id)
        assert row is not None and row.next_attempt_at is not None
        waits.append(round((row.next_attempt_at - before).total_seconds() / 10))
        WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())
    assert waits == [1, 2, 4]


def test_a_delivery_is_claimed_by_one_sender_only(loopback_allowed: None) -> None:
    webhook = hook("http://127.0.0.1:9/never")
    [delivery_id] = queue_deliveries(webhook.project_id, "error", {})
    assert claim(delivery_id) is not None
    assert claim(delivery_id) is None


def test_a_claim_lost_with_its_process_is_taken_again_later(loopback_allowed: None) -> None:
    webhook = hook("http://127.0.0.1:9/never")
    [delivery_id] = queue_deliveries(webhook.project_id, "error", {})
    assert claim(delivery_id) is not None
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert claim(delivery_id) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://[::1]:{port}/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
    ],
)
def test_internal_targets_are_refused_without_an_allowance(receiver: Receiver, url: str) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    webhook = hook(url.format(port=port))
    [delivery_id] = queue_deliveries(webhook.project_id, "error", {})
    row = deliver(delivery_id)
    assert row is not None and row.status == WebhookDelivery.Status.PENDING
    assert row.last_status_code is None and row.last_error
    assert receiver.requests == []


def test_a_redirect_to_an_internal_address_is_refused(
    receiver: Receiver, settings: SettingsWrapper
) -> None:
    # The first hop is allowed (a public-looking name would be in production); the
    # redirect target is loopback on a port no allowance covers.
    with Receiver(redirect_to="http://169.254.169.254/latest/meta-data/") as redirector:
        settings.ALADDIN_EGRESS_ALLOW = ["127.0.0.0/8"]
        webhook = hook(redirector.url)
        [delivery_id] = queue_deliveries(webhook.project_id, "error", {})
        row = deliver(delivery_id)
    assert row is not None and row.status != WebhookDelivery.Status.DELIVERED
    assert len(redirector.requests) == 1 and row.last_error
