"""Agents and the tools they may call (spec 4.1: Agents, Custom Tools)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from aladdin.crypto import EncryptedTextField
from aladdin.validators import score_0_100
from departments.models import Department

TOOL_NAME_PATTERN = r"^[a-zA-Z][a-zA-Z0-9_-]{0,63}$"
INITIAL_VERSION = "1.0.0"
# Bounds that keep one agent from running (and spending) without end.
MAX_AGENT_STEPS = 100
MAX_RETRIES = 10


def empty_list() -> list[Any]:
    return []


class CustomTool(models.Model):
    """A tool agents may call. It runs a named built-in or POSTs to an HTTP endpoint.

    The spec's executeFunction (code stored in the database) is deliberately
    absent: code from the database is never executed.
    """

    class Implementation(models.TextChoices):
        BUILTIN = "builtin", "Built-in Python tool"
        HTTP = "http", "HTTP endpoint"

    tool_name = models.CharField(
        max_length=64,
        unique=True,
        validators=[
            RegexValidator(
                TOOL_NAME_PATTERN,
                "Start with a letter; use letters, digits, _ or - (at most 64), "
                "as LLM function names require.",
            )
        ],
    )
    display_name = models.CharField(max_length=200)
    description = models.TextField(help_text="Shown to the model: say when to call the tool.")

    input_schema = models.JSONField(
        default=dict, help_text="JSON Schema of the tool's input (an object schema)."
    )
    example_inputs = models.JSONField(
        default=empty_list, blank=True, help_text="A list of inputs valid against the schema."
    )
    output_schema = models.JSONField(
        null=True, blank=True, help_text="Optional JSON Schema the tool's output must satisfy."
    )

    implementation = models.CharField(
        max_length=10, choices=Implementation.choices, default=Implementation.BUILTIN
    )
    builtin_name = models.CharField(
        max_length=64, blank=True, help_text="Name of the built-in Python tool (built-in only)."
    )
    endpoint_url = models.URLField(blank=True, help_text="Where to POST the input (HTTP only).")
    signing_secret = EncryptedTextField(
        max_length=400,
        blank=True,
        help_text="HTTP only: requests carry X-Webhook-Signature = HMAC-SHA256 of the body.",
    )
    dependencies = models.JSONField(
        default=empty_list, blank=True, help_text="Services or packages the tool relies on."
    )

    departments = models.ManyToManyField(Department, blank=True, related_name="tools")
    is_global = models.BooleanField(default=False, help_text="Available to every department.")
    requires_auth = models.BooleanField(default=False)

    rate_limit_max_calls = models.PositiveIntegerField(
        null=True, blank=True, help_text="Max calls per window; blank for no limit."
    )
    rate_limit_window_ms = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Window length in ms."
    )

    average_execution_time = models.FloatField(default=0, help_text="Milliseconds.")
    total_executions = models.PositiveIntegerField(default=0)
    failed_executions = models.PositiveIntegerField(default=0)
    error_rate = models.FloatField(default=0, help_text="Percentage of failed calls.")

    is_active = models.BooleanField(default=True)
    version = models.CharField(max_length=20, default=INITIAL_VERSION)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["tool_name"]
        indexes = [models.Index(fields=["is_active", "is_global"], name="tool_active_global")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(implementation="builtin") | ~Q(builtin_name=""),
                name="tool_builtin_has_name",
            ),
            models.CheckConstraint(
                condition=~Q(implementation="http") | ~Q(endpoint_url=""),
                name="tool_http_has_url",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.tool_name

    def clean(self) -> None:
        from agents.tool_validation import validate_tool_definition

        validate_tool_definition(self)


class Agent(models.Model):
    """The master orchestrator (no department), a department head, or a specialist."""

    agent_id = models.SlugField(
        max_length=100, unique=True, help_text='For example "story-head-001".'
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agents",
        help_text="Blank only for the master orchestrator.",
    )
    is_department_head = models.BooleanField(default=False)

    model = models.CharField(
        max_length=200,
        blank=True,
        help_text="litellm model string. Blank: the department's default, then the site default.",
    )
    instructions_prompt = models.TextField(help_text="The agent's system prompt.")
    tools = models.ManyToManyField(CustomTool, blank=True, related_name="agents")
    max_agent_steps = models.PositiveIntegerField(
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AGENT_STEPS)],
        help_text=f"Tool-call loop limit (1-{MAX_AGENT_STEPS}).",
    )

    class LoopDetection(models.TextChoices):
        OFF = "off", "Off"
        WARN = "warn", "Warn (emit an event, let it go on)"
        STOP = "stop", "Stop the agent"

    loop_detection = models.CharField(
        max_length=4,
        choices=LoopDetection.choices,
        default=LoopDetection.STOP,
        help_text="An agent calling the same tool with the same arguments 3 times, or "
        "alternating between two calls (A, B, A, B), is in a loop.",
    )

    specialization = models.CharField(max_length=100, blank=True)
    skills = models.JSONField(default=empty_list, blank=True)
    required_context = models.JSONField(
        default=empty_list,
        blank=True,
        help_text="Context the agent needs, from: project, episodes, scenes, characters, "
        'relationships. For example ["project", "characters"].',
    )

    is_active = models.BooleanField(default=True)
    success_rate = models.FloatField(default=0, validators=score_0_100)
    average_execution_time = models.FloatField(default=0, help_text="Milliseconds.")
    total_executions = models.PositiveIntegerField(default=0)
    successful_executions = models.PositiveIntegerField(default=0)
    average_quality_score = models.FloatField(default=0, validators=score_0_100)
    scored_executions = models.PositiveIntegerField(default=0)

    requires_review = models.BooleanField(
        default=True, help_text="Specialists: always. Heads and the orchestrator: never."
    )
    quality_threshold = models.PositiveSmallIntegerField(default=80, validators=score_0_100)
    max_retries = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(MAX_RETRIES)],
        help_text=f"Retries of weak work (0-{MAX_RETRIES}).",
    )

    estimated_tokens_per_run = models.PositiveIntegerField(default=0)
    total_tokens_used = models.PositiveBigIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_executed_at = models.DateTimeField(null=True, blank=True)

    version = models.CharField(max_length=20, default=INITIAL_VERSION)
    changelog = models.JSONField(default=empty_list, blank=True)

    class Meta:
        ordering = ["department__priority", "-is_department_head", "agent_id"]
        indexes = [
            models.Index(fields=["department", "is_department_head"], name="agent_dept_head"),
            models.Index(fields=["is_active", "-success_rate"], name="agent_active_success"),
            models.Index(fields=["specialization"], name="agent_specialization"),
            models.Index(fields=["-last_executed_at"], name="agent_last_executed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["department"],
                condition=Q(is_department_head=True),
                name="one_head_per_department",
                violation_error_message="This department already has a department head.",
            ),
            models.CheckConstraint(
                condition=Q(is_department_head=False) | Q(requires_review=False),
                name="head_does_not_require_review",
                violation_error_message="Department heads must have requires review off.",
            ),
            models.CheckConstraint(
                condition=Q(department__isnull=True)
                | Q(is_department_head=True)
                | Q(requires_review=True),
                name="specialist_requires_review",
                violation_error_message="Specialists must have requires review on.",
            ),
            models.CheckConstraint(
                condition=Q(department__isnull=False) | Q(is_department_head=False),
                name="head_has_department",
                violation_error_message="A department head needs a department.",
            ),
            models.CheckConstraint(
                condition=Q(quality_threshold__gte=0, quality_threshold__lte=100),
                name="agent_quality_threshold_0_100",
                violation_error_message="Quality threshold must be between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=Q(max_agent_steps__gte=1, max_agent_steps__lte=MAX_AGENT_STEPS),
                name="agent_max_agent_steps_in_range",
                violation_error_message=f"Max agent steps must be 1 to {MAX_AGENT_STEPS}.",
            ),
            models.CheckConstraint(
                condition=Q(max_retries__gte=0, max_retries__lte=MAX_RETRIES),
                name="agent_max_retries_in_range",
                violation_error_message=f"Max retries must be 0 to {MAX_RETRIES}.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agent_id})"

    @property
    def role(self) -> str:
        if self.department_id is None:
            return "orchestrator"
        return "department_head" if self.is_department_head else "specialist"

    def clean(self) -> None:
        super().clean()
        for field in ("skills", "required_context"):
            value = getattr(self, field)
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ValidationError({field: "Enter a JSON list of strings."})
