"""Webhook deliveries: queue on each event, sign, send through the egress guard, retry.

A delivery is claimed with a conditional UPDATE (pending and due -> sending),
so two processes never send the same attempt. Failures back off exponentially
(`ALADDIN_WEBHOOK_RETRY_BASE_SECONDS` x 2^attempt, capped) until the webhook's
`max_attempts`; then the delivery is `failed` and stays in the log.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from engine.events import now_iso
from executions.models import Execution, ExecutionEvent
from webhooks.models import Webhook, WebhookDelivery

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0  # spec 13.2
MAX_RESPONSE_BYTES = 64 * 1024  # the answer is only logged
STALE_SENDING = timedelta(minutes=2)  # a claim older than this was lost with its process
_CACHE_SECONDS = 5.0
_hooks_cache: dict[int, tuple[float, list[int]]] = {}
_project_of_root: dict[str, int | None] = {}


def sign(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the exact body bytes (the X-Webhook-Signature header)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_body(event_type: str, data: dict[str, Any]) -> str:
    return json.dumps(
        {"event": event_type, "data": data, "timestamp": now_iso()},
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )


# --- Queueing ------------------------------------------------------------------------


async def on_event(root_id: str, event: ExecutionEvent, message: dict[str, Any]) -> None:
    """Event-log listener: queue a delivery per matching active webhook of the project."""
    project_id = await _project_for_root(root_id)
    if project_id is None or not await _active_hook_ids(project_id):
        return
    ids = await sync_to_async(queue_deliveries)(project_id, event.type, message, root_id)
    for delivery_id in ids:
        dispatch(delivery_id)


async def _project_for_root(root_id: str) -> int | None:
    if root_id not in _project_of_root:
        _project_of_root[root_id] = await (
            Execution.objects.filter(execution_id=root_id)
            .values_list("project_id", flat=True)
            .afirst()
        )
    return _project_of_root[root_id]


async def _active_hook_ids(project_id: int) -> list[int]:
    """Active webhooks of a project, cached a few seconds: most events have none."""
    cached = _hooks_cache.get(project_id)
    if cached and time.monotonic() - cached[0] < _CACHE_SECONDS:
        return cached[1]
    ids = [
        pk
        async for pk in Webhook.objects.filter(project_id=project_id, is_active=True).values_list(
            "pk", flat=True
        )
    ]
    _hooks_cache[project_id] = (time.monotonic(), ids)
    return ids


def forget_cached_hooks() -> None:
    _hooks_cache.clear()


def queue_deliveries(
    project_id: int, event_type: str, data: dict[str, Any], execution_id: str | None = None
) -> list[int]:
    hooks = [
        hook
        for hook in Webhook.objects.filter(project_id=project_id, is_active=True)
        if hook.wants(event_type)
    ]
    body = event_body(event_type, data)
    now = timezone.now()
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            webhook=hook,
            event_type=event_type,
            execution_id=execution_id,
            sequence=data.get("sequence"),
            body=body,
            next_attempt_at=now,
        )
        for hook in hooks
    )
    return [row.pk for row in rows]


def dispatch(delivery_id: int) -> None:
    """Send now: on a Celery worker when a broker is configured, else in this process."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        from webhooks.tasks import deliver_webhook_task

        transaction.on_commit(lambda: deliver_webhook_task.delay(delivery_id))
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        deliver_with_retries_sync(delivery_id)
        return
    task = loop.create_task(deliver_with_retries(delivery_id))
    _background.add(task)
    task.add_done_callback(_background.discard)


_background: set[asyncio.Task[None]] = set()


async def wait_for_deliveries() -> None:
    """Wait for this process's in-flight deliveries (graceful shutdown, tests)."""
    while _background:
        await asyncio.gather(*list(_background), return_exceptions=True)


# --- Sending -------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    delivered: bool
    status_code: int | None
    duration_ms: int
    error: str = ""


def backoff(attempts: int) -> timedelta:
    base = settings.ALADDIN_WEBHOOK_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600.0))


def claim(delivery_id: int) -> WebhookDelivery | None:
    """Take a due delivery for sending; None when another process has it or it is done."""
    now = timezone.now()
    due = Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now) | Q(
        status=WebhookDelivery.Status.SENDING, next_attempt_at__lte=now - STALE_SENDING
    )
    claimed = WebhookDelivery.objects.filter(due, pk=delivery_id).update(
        status=WebhookDelivery.Status.SENDING, next_attempt_at=now
    )
    if claimed != 1:
        return None
    return WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """One attempt, if the delivery is due; returns the row as it ends up."""
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    attempt = send(delivery.webhook, delivery.event_type, delivery.body.encode())
    return _record(delivery, attempt)


def send(webhook: Webhook, event_type: str, body: bytes) -> Attempt:
    """POST through the egress guard: loopback, private and metadata targets are
    refused (also after redirects and DNS), the answer is capped and timed."""
    from aladdin.egress import EgressError, fetch_sync

    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Aladdin-Webhooks/1",
        "X-Webhook-Event": event_type,
        "X-Webhook-Signature": sign(webhook.secret, body),
    }
    started = time.monotonic()
    try:
        response = fetch_sync(
            "POST",
            webhook.url,
            content=body,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            max_bytes=MAX_RESPONSE_BYTES,
        )
    except EgressError as error:
        return Attempt(False, None, _ms_since(started), str(error))
    ok = 200 <= response.status_code < 300
    problem = "" if ok else f"HTTP {response.status_code}"
    return Attempt(ok, response.status_code, _ms_since(started), problem)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _record(delivery: WebhookDelivery, attempt: Attempt) -> WebhookDelivery:
    delivery.attempts += 1
    delivery.last_status_code = attempt.status_code
    delivery.last_duration_ms = attempt.duration_ms
    delivery.last_error = attempt.error[:2000]
    now = timezone.now()
    if attempt.delivered:
        delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, now
        delivery.next_attempt_at = None
    elif delivery.attempts >= delivery.webhook.max_attempts:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
    else:
        delivery.status = WebhookDelivery.Status.PENDING
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(
        update_fields=[
            "attempts",
            "last_status_code",
            "last_duration_ms",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    return delivery


def deliver_with_retries_sync(delivery_id: int) -> None:
    asyncio.run(deliver_with_retries(delivery_id))


async def deliver_with_retries(delivery_id: int) -> None:
    """The embedded default's retry loop: attempt, wait the backoff, attempt again."""
    while True:
        row = await sync_to_async(deliver)(delivery_id)
        if row is None or row.status != WebhookDelivery.Status.PENDING:
            return
        assert row.next_attempt_at is not None
        await asyncio.sleep(max((row.next_attempt_at - timezone.now()).total_seconds(), 0))


def deliver_due(now: datetime | None = None) -> int:
    """Attempt every delivery that is due (after a restart, or on Celery beat)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        Q(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=WebhookDelivery.Status.SENDING, next_attempt_at__lte=now - STALE_SENDING)
    ).values_list("pk", flat=True)
    sent = 0
    for delivery_id in list(due[:500]):
        if deliver(delivery_id) is not None:
            sent += 1
    return sent


def retry_now(delivery_ids: list[int]) -> int:
    """Admin action: make failed or waiting deliveries due again, with fresh attempts."""
    return WebhookDelivery.objects.filter(
        pk__in=delivery_ids,
        status__in=[WebhookDelivery.Status.FAILED, WebhookDelivery.Status.PENDING],
    ).update(status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now())
