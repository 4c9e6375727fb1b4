"""Admin for departments, with their agents inline."""

from __future__ import annotations

from django import forms
from django.contrib import admin
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


class AgentInline(admin.TabularInline):
    model = Agent
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
