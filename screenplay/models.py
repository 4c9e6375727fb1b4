"""What an imported script leaves behind besides the brain's scenes and characters:
the import itself, each scene's source text and lines, breakdown proposals awaiting
review, and continuity warnings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from brain.models import ElementCategory, ElementFate, Episode, Project, Scene


def empty_list() -> list[Any]:
    return []


def empty_dict() -> dict[str, Any]:
    return {}


class ScriptImport(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="script_imports")
    episode = models.ForeignKey(
        Episode, null=True, on_delete=models.SET_NULL, related_name="script_imports"
    )
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=10)
    text = models.TextField(help_text="The script's own text; line numbers refer to it.")
    sha256 = models.CharField(max_length=64)
    title_page = models.JSONField(default=empty_dict, blank=True)
    changes = models.JSONField(
        default=empty_dict, blank=True, help_text="Scenes added, removed and changed."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.format}) into {self.project}"


class SceneSource(models.Model):
    """The part of the script a brain Scene came from."""

    scene = models.OneToOneField(Scene, on_delete=models.CASCADE, related_name="source")
    script_import = models.ForeignKey(
        ScriptImport, null=True, on_delete=models.SET_NULL, related_name="scenes"
    )
    script_number = models.CharField(max_length=20, blank=True)
    heading = models.CharField(max_length=300)
    story_day = models.PositiveIntegerField(null=True, blank=True)
    start_line = models.PositiveIntegerField()
    end_line = models.PositiveIntegerField()
    # [[kind, text, line, dual], ...]: what the Fountain export and the checks read.
    elements = models.JSONField(default=empty_list)
    # {character pk: first line naming them in this scene}, for warnings that cite lines.
    cast_lines = models.JSONField(default=empty_dict)

    class Meta:
        ordering = ["scene__episode__episode_number", "scene__scene_number"]

    def __str__(self) -> str:
        return self.heading

    def lines(self) -> list[tuple[int, str]]:
        return [(int(e[2]), str(e[1])) for e in self.elements]


class BreakdownRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        COLLECTED = "collected"
        FAILED = "failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="breakdown_runs")
    execution = models.ForeignKey(
        "executions.Execution", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scenes = models.ManyToManyField(Scene, related_name="breakdown_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Breakdown {self.pk} of {self.project} ({self.status})"


class ElementProposal(models.Model):
    """An element the breakdown found, waiting for a person before it becomes canon."""

    class Status(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        REJECTED = "rejected"
        FLAGGED = "flagged", "flagged (evidence not in the scene)"

    run = models.ForeignKey(BreakdownRun, on_delete=models.CASCADE, related_name="proposals")
    scene = models.ForeignKey(Scene, on_delete=models.CASCADE, related_name="element_proposals")
    category = models.CharField(max_length=20, choices=ElementCategory.choices)
    name = models.CharField(max_length=200)
    evidence = models.TextField()
    line = models.PositiveIntegerField(null=True, blank=True)
    fate = models.CharField(max_length=20, choices=ElementFate.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["scene", "category", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.category}) in {self.scene}: {self.status}"


class ContinuityWarning(models.Model):
    class Rule(models.TextChoices):
        TWO_PLACES = "two_places", "in two places at once"
        TIME_ORDER = "time_order", "time of day out of order"
        NOT_IN_CANON = "not_in_canon", "speaks but not in the canon"
        USED_AFTER_GONE = "used_after_gone", "element used after it was gone"
        CANON = "canon", "against established canon"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="continuity_warnings"
    )
    rule = models.CharField(max_length=20, choices=Rule.choices)
    fingerprint = models.CharField(max_length=64, help_text="The same finding keeps its row.")
    message = models.TextField()
    scenes = models.JSONField(default=empty_list, help_text="Scene labels, e.g. '1/3'.")
    lines = models.JSONField(default=empty_list)
    active = models.BooleanField(default=True, help_text="False once a re-check stops finding it.")
    dismissed_reason = models.TextField(blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_checked = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rule", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "fingerprint"], name="unique_continuity_finding"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: {self.message[:80]}"

    @property
    def dismissed(self) -> bool:
        return bool(self.dismissed_at)
