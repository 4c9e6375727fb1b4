"""Webhooks (spec 13.2): per project, POSTed for each matching event, signed.

Every delivery is a row: what was sent, each attempt's status code and time,
and when the next attempt is due. The row is the outbox: a delivery that a
crash interrupted is picked up again by `deliver_due`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from aladdin.crypto import EncryptedCharField
from brain.models import Project
from engine.events import EVENT_TYPES

ANY_EVENT = "*"


def validate_event_filter(value: Any) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError('List the event types to send, or ["*"] for every event.')
    unknown = [item for item in value if item != ANY_EVENT and item not in EVENT_TYPES]
    if unknown:
        raise ValidationError(
            f"Unknown event type(s): {', '.join(map(str, unknown))}. "
            f"Known: {', '.join(EVENT_TYPES)}, or * for all."
        )


def every_event() -> list[str]:
    return [ANY_EVENT]


class Webhook(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=2000, help_text="HTTPS endpoint that receives POSTs.")
    events = models.JSONField(
        default=every_event, validators=[validate_event_filter], help_text='["*"] for all.'
    )
    # The encrypted form is longer than the secret itself; forms cap the plain text at 256.
    secret = EncryptedCharField(max_length=1024, help_text="Key of the HMAC-SHA256 signature.")
    is_active = models.BooleanField(default=True)
    max_attempts = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_attempts__gte=1, max_attempts__lte=20),
                name="webhook_max_attempts_1_20",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.project})"

    def wants(self, event_type: str) -> bool:
        return ANY_EVENT in self.events or event_type in self.events


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        DELIVERED = "delivered"
        FAILED = "failed", "Failed (gave up)"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=40)
    execution_id = models.UUIDField(null=True, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    body = models.TextField(help_text="The JSON body, exactly as signed and sent.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.webhook.name}: {self.status}"
