"""Departments: story, character, visual, video, audio, production (spec 2.2, 4.1)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from aladdin.validators import HEX_COLOUR_PATTERN, hex_colour, priority_1_10


class Department(models.Model):
    slug = models.SlugField(max_length=50, unique=True, help_text='For example "story".')
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    icon = models.CharField(max_length=16, blank=True, help_text="An emoji shown in the UI.")
    color = models.CharField(
        max_length=7, default="#6366f1", validators=[hex_colour], help_text="Hex colour for the UI."
    )
    priority = models.PositiveSmallIntegerField(
        default=5, validators=priority_1_10, help_text="Execution order, 1 (first) to 10."
    )
    is_active = models.BooleanField(default=True)

    default_model = models.CharField(
        max_length=200,
        blank=True,
        help_text="litellm model string for this department's agents whose own model is blank. "
        "Blank: the site default (ALADDIN_DEFAULT_MODEL).",
    )
    max_agent_steps = models.PositiveIntegerField(default=20)

    # Metrics, maintained by executions.services with single UPDATE statements.
    average_execution_time = models.FloatField(default=0, help_text="Milliseconds.")
    total_executions = models.PositiveIntegerField(default=0)
    successful_executions = models.PositiveIntegerField(default=0)
    success_rate = models.FloatField(default=0, help_text="Percentage of successful runs.")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "slug"]
        indexes = [
            models.Index(fields=["is_active", "priority"], name="department_active_priority"),
            models.Index(fields=["-success_rate"], name="department_success_rate"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=10), name="department_priority_1_10"
            ),
            models.CheckConstraint(
                condition=Q(color__regex=HEX_COLOUR_PATTERN), name="department_color_is_hex"
            ),
        ]

    def __str__(self) -> str:
        return self.name
