"""Admin for departments, with their agents inline."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html

from agents.models import Agent
from departments.models import Department

METRIC_FIELDS = (
    "average_execution_time",
    "total_executions",
    "successful_executions",
    "success_rate",
    "created_at",
    "updated_at",
)


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = "__all__"  # noqa: DJ007 (the admin fieldsets choose what is shown)
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "cols": 90})}


class AgentInlineFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """One head per department, checked across the whole inline before anything is
    saved: the database constraint would otherwise surface as a 500."""

    def clean(self) -> None:
        super().clean()
        heads = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("is_department_head")
        ]
        if len(heads) < 2:
            return
        current = [f for f in heads if f.instance.pk and f.initial.get("is_department_head")]
        existing = (current or heads)[0].instance
        name = existing.agent_id or existing.name
        for form in heads:
            if form.instance is not existing:
                form.add_error(
                    "is_department_head",
                    f"{name} is already this department's head; a department has one head. "
                    f"Untick it there first.",
                )
        raise ValidationError(f"A department has one head, and {name} is already its head.")


class AgentInline(admin.TabularInline):
    model = Agent
    formset = AgentInlineFormSet
    extra = 0
    fields = (
        "agent_id",
        "name",
        "is_department_head",
        "requires_review",
        "is_active",
        "model",
        "quality_threshold",
        "max_retries",
    )
    show_change_link = True
    ordering = ("-is_department_head", "agent_id")
    # Narrow inputs so the inline fits the window beside the admin's sidebar.
    formfield_overrides = {
        models.CharField: {"widget": forms.TextInput(attrs={"size": 22})},
        models.SlugField: {"widget": forms.TextInput(attrs={"size": 22})},
        models.PositiveSmallIntegerField: {
            "widget": forms.NumberInput(attrs={"style": "width:5em"})
        },
    }


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    form = DepartmentForm
    list_display = (
        "swatch",
        "name",
        "slug",
        "priority",
        "is_active",
        "agent_count",
        "total_executions",
        "success_rate",
        "average_execution_time",
        "judge_agreement",
    )
    list_display_links = ("name",)
    list_filter = ("is_active",)
    search_fields = ("slug", "name", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = METRIC_FIELDS
    inlines = [AgentInline]
    fieldsets = (
        (
            None,
            {"fields": ("slug", "name", "description", "icon", "color", "priority", "is_active")},
        ),
        ("Agents", {"fields": ("default_model", "max_agent_steps")}),
        (
            "Metrics",
            {"classes": ("collapse",), "fields": METRIC_FIELDS},
        ),
    )

    @admin.display(description="Judge and reviewers agree")
    def judge_agreement(self, obj: Department) -> str:
        """How often a person's approval matched the judge's decision on this
        department's results (executions.HumanReview)."""
        reviews = list(obj.human_reviews.only("decision", "judge_decision"))  # type: ignore[attr-defined]
        if not reviews:
            return "-"
        agree = sum(1 for review in reviews if review.agrees_with_judge)
        return f"{agree}/{len(reviews)} ({100 * agree / len(reviews):.0f}%)"

    @admin.display(description="")
    def swatch(self, department: Department) -> str:
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;border-radius:3px;'
            'background:{}" title="{}"></span> {}',
            department.color,
            department.color,
            department.icon,
        )

    @admin.display(description="Agents")
    def agent_count(self, department: Department) -> int:
        return department.agents.count()
