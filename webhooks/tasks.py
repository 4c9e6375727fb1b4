"""Celery tasks for webhooks: thin wrappers around webhooks.services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def deliver_webhook_task(delivery_id: int) -> str:
    from webhooks.models import WebhookDelivery
    from webhooks.services import deliver

    row = deliver(delivery_id)
    if row is None:
        return "not due"
    if row.status == WebhookDelivery.Status.PENDING and row.next_attempt_at is not None:
        deliver_webhook_task.apply_async((delivery_id,), eta=row.next_attempt_at)
    return row.status


@shared_task
def deliver_due_webhooks_task() -> int:
    from webhooks.services import deliver_due

    return deliver_due()
