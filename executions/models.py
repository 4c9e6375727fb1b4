"""Agent runs and what happened inside them (spec 4.1: Agent Executions).

An orchestration is the root Execution; department heads, specialists and
reviews are its descendants through `parent`. Events and tool calls have
their own tables so they can be streamed, replayed and queried.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from agents.models import Agent
from brain.models import Episode, Project
from departments.models import Department


def empty_list() -> list[Any]:
    return []


def empty_dict() -> dict[str, Any]:
    return {}


class Conversation(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        CLOSED = "closed"

    conversation_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="conversations")
    title = models.CharField(max_length=200, blank=True)
    messages = models.JSONField(default=empty_list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title or str(self.conversation_id)


class Execution(models.Model):
    class Kind(models.TextChoices):
        ORCHESTRATION = "orchestration"
        DEPARTMENT = "department", "Department head"
        SPECIALIST = "specialist"
        PLAN = "plan", "Planning"
        REVIEW = "review", "Quality review"
        SYNTHESIS = "synthesis"
        VALIDATION = "validation"
        AGENT = "agent", "Direct agent run"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"
        RETRY = "retry"
        # Never started: the run's budget was spent before its turn (reason: budget).
        SKIPPED = "skipped"
        # An orchestration stopped at its budget (the project pauses instead of finishing
        # short); it goes on when resumed (executions/resume.py).
        PAUSED = "paused"
        # Results recommended for the brain wait for a person (executions/approval.py).
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"

    class ReviewStatus(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        REVISION_NEEDED = "revision-needed"

    FINISHED = (Status.COMPLETED, Status.FAILED, Status.CANCELLED, Status.SKIPPED)

    execution_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.AGENT)

    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="executions"
    )
    agent_version = models.CharField(max_length=20, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="executions"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="executions"
    )
    episode = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.SET_NULL, related_name="executions"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="executions"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="descendants"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    model = models.CharField(max_length=200, blank=True, help_text="The model that answered.")
    prompt = models.TextField(blank=True)
    params = models.JSONField(default=empty_dict, blank=True)
    output = models.JSONField(null=True, blank=True)
    raw_output = models.TextField(blank=True, help_text="The model's text when it was not JSON.")
    run_state = models.JSONField(default=empty_dict, blank=True, help_text="Messages exchanged.")

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    status_history = models.JSONField(default=empty_list, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    execution_time = models.PositiveIntegerField(null=True, blank=True, help_text="Milliseconds.")

    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    total_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(
        max_digits=12, decimal_places=6, null=True, blank=True, help_text="USD; blank = unknown."
    )

    quality_score = models.FloatField(null=True, blank=True)
    relevance_score = models.FloatField(null=True, blank=True)
    consistency_score = models.FloatField(null=True, blank=True)
    completeness_score = models.FloatField(null=True, blank=True)
    creativity_score = models.FloatField(null=True, blank=True)
    technical_score = models.FloatField(null=True, blank=True)
    overall_score = models.FloatField(null=True, blank=True)
    decision = models.CharField(max_length=24, blank=True, help_text="Quality decision (6.2).")

    review_status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_notes = models.TextField(blank=True)

    error = models.JSONField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    worker = models.CharField(
        max_length=120,
        blank=True,
        help_text="host:pid of the process that runs it; maintenance tells a live run "
        "from one whose process stopped by it and by the heartbeat (updated_at).",
    )
    error_type = models.CharField(max_length=40, blank=True)
    retry_count = models.PositiveSmallIntegerField(default=0)
    retry_reason = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agent", "status"], name="execution_agent_status"),
            models.Index(fields=["department", "status"], name="execution_dept_status"),
            models.Index(fields=["project", "conversation"], name="execution_project_conv"),
            models.Index(fields=["-started_at"], name="execution_started_desc"),
            models.Index(fields=["status", "-created_at"], name="execution_status_created"),
            # Lists of runs, newest first a page at a time: all of them, or a project's
            # (api.selectors.VisibleRuns walks one project's range at a time).
            models.Index(fields=["-created_at", "-id"], name="execution_created_desc"),
            models.Index(
                fields=["project", "-created_at", "-id"], name="execution_project_created"
            ),
            models.Index(fields=["-quality_score"], name="execution_quality_desc"),
            models.Index(fields=["root", "kind"], name="execution_root_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(overall_score__isnull=True)
                | Q(overall_score__gte=0, overall_score__lte=100),
                name="execution_overall_score_0_100",
            ),
        ]

    def __str__(self) -> str:
        who = self.agent.agent_id if self.agent_id and self.agent else self.kind
        return f"{who} {self.execution_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class ExecutionEvent(models.Model):
    """One event of spec 5.1, numbered per orchestration (or per direct agent run)."""

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="events")
    sequence = models.PositiveIntegerField()
    type = models.CharField(max_length=40)
    payload = models.JSONField(default=empty_dict)
    source = models.ForeignKey(
        Execution,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="emitted_events",
        help_text="The run that emitted it, when not the root.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["execution", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["execution", "sequence"], name="unique_event_sequence")
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.type}"


class ToolCall(models.Model):
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="tool_calls")
    tool = models.ForeignKey(
        "agents.CustomTool", null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    tool_name = models.CharField(max_length=64)
    call_id = models.CharField(max_length=100, blank=True, help_text="The model's tool call id.")
    input = models.JSONField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    success = models.BooleanField(default=True)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["execution", "started_at", "id"]
        indexes = [models.Index(fields=["tool_name", "-started_at"], name="toolcall_name_started")]

    def __str__(self) -> str:
        return f"{self.tool_name} ({'ok' if self.success else 'error'})"


class BudgetAccount(models.Model):
    """One budget account shared by every run and process that draws on it: a project's
    day (`project:<pk>:<date>`) or one orchestration (`run:<execution id>`). Reserving
    is one conditional UPDATE, so concurrent runs cannot jointly overshoot it.
    USD amounts are whole micro-dollars: exact in SQLite, PostgreSQL and Redis alike."""

    key = models.CharField(max_length=150, unique=True)
    spent_tokens = models.BigIntegerField(default=0)
    reserved_tokens = models.BigIntegerField(default=0)
    spent_micros = models.BigIntegerField(default=0)
    reserved_micros = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key


class BudgetHold(models.Model):
    """A reservation in flight. A run that stops without settling leaves its holds
    here, and maintenance releases them once the run (`holder`) has ended."""

    account = models.ForeignKey(BudgetAccount, on_delete=models.CASCADE, related_name="holds")
    holder = models.CharField(max_length=64, blank=True, db_index=True)
    tokens = models.BigIntegerField()
    micros = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.tokens} tokens on {self.account_id} for {self.holder or '-'}"


class DailyUsage(models.Model):
    """Tokens, cost and runs per project, department and day, rolled up from runs.

    Kept past run retention, so spend history outlives the runs themselves.
    `department` is null for the orchestration's own calls (planning, validation).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="daily_usage")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="daily_usage"
    )
    day = models.DateField()
    runs = models.PositiveIntegerField(default=0)
    failed_runs = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day", "project", "department"]
        verbose_name_plural = "daily usage"
        # The roll-up rewrites a day's rows in one transaction, so no duplicates arise.
        indexes = [models.Index(fields=["project", "day"], name="daily_usage_project_day")]

    def __str__(self) -> str:
        return f"{self.project} {self.department or 'orchestration'} {self.day}"


class HumanReview(models.Model):
    """A person's decision on a department's results, kept beside the judge's decision
    for the same work (executions/approval.py), so the admin can show how often the
    two agree per department."""

    class Decision(models.TextChoices):
        APPROVED = "approved"
        REJECTED = "rejected"

    root = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="human_reviews")
    department_run = models.ForeignKey(
        Execution, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="human_reviews"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    judge_decision = models.CharField(max_length=24, blank=True)
    entities_approved = models.PositiveIntegerField(default=0)
    entities_rejected = models.PositiveIntegerField(default=0)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.department or '-'}: {self.decision} (judge: {self.judge_decision or '-'})"

    @property
    def agrees_with_judge(self) -> bool:
        judge_accepted = self.judge_decision in ("exemplary", "accept", "accept-with-revision")
        return judge_accepted == (self.decision == self.Decision.APPROVED)
