"""Admin for agents and tools: the CMS where a production team shapes its agent team."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from agents import services
from agents.models import Agent, CustomTool
from agents.tools.registry import builtin_tool_names
from aladdin import audit

METRIC_FIELDS = (
    "success_rate",
    "average_execution_time",
    "total_executions",
    "successful_executions",
    "average_quality_score",
    "scored_executions",
    "total_tokens_used",
    "last_executed_at",
)

TOOL_METRIC_FIELDS = (
    "average_execution_time",
    "total_executions",
    "failed_executions",
    "error_rate",
    "created_at",
    "updated_at",
    "created_by",
)


class AgentForm(forms.ModelForm):
    class Meta:
        model = Agent
        fields = "__all__"  # noqa: DJ007 (the admin fieldsets choose what is shown)
        widgets = {
            "instructions_prompt": forms.Textarea(
                attrs={"rows": 28, "cols": 110, "style": "font-family: monospace; width: 95%;"}
            ),
            "description": forms.Textarea(attrs={"rows": 3, "cols": 110}),
        }


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    form = AgentForm
    list_display = (
        "agent_id",
        "name",
        "department",
        "role_label",
        "is_active",
        "effective_model",
        "quality_threshold",
        "total_executions",
        "success_percent",
        "version",
    )
    list_filter = ("department", "is_department_head", "is_active", "requires_review")
    search_fields = ("agent_id", "name", "specialization", "description", "instructions_prompt")
    list_select_related = ("department",)
    filter_horizontal = ("tools",)
    readonly_fields = (
        *METRIC_FIELDS,
        "recent_runs",
        "version",
        "changelog_display",
        "created_at",
        "updated_at",
    )
    actions = ("activate", "deactivate", "duplicate")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "agent_id",
                    "name",
                    "description",
                    "department",
                    "is_department_head",
                    "is_active",
                )
            },
        ),
        (
            "Behaviour",
            {
                "fields": (
                    "model",
                    "instructions_prompt",
                    "tools",
                    "max_agent_steps",
                    "specialization",
                    "skills",
                    "required_context",
                )
            },
        ),
        (
            "Quality control",
            {
                "fields": (
                    "requires_review",
                    "quality_threshold",
                    "max_retries",
                    "estimated_tokens_per_run",
                )
            },
        ),
        ("Metrics", {"classes": ("collapse",), "fields": (*METRIC_FIELDS, "recent_runs")}),
        (
            "Versions",
            {
                "classes": ("collapse",),
                "fields": ("version", "changelog_display", "created_at", "updated_at"),
            },
        ),
    )

    @admin.display(description="Role", ordering="is_department_head")
    def role_label(self, agent: Agent) -> str:
        return {"orchestrator": "Orchestrator", "department_head": "Head"}.get(
            agent.role, "Specialist"
        )

    @admin.display(description="Success", ordering="success_rate")
    def success_percent(self, agent: Agent) -> str:
        return f"{agent.success_rate:.0f}%" if agent.total_executions else "-"

    @admin.display(description="Model")
    def effective_model(self, agent: Agent) -> str:
        return (
            agent.model
            or (agent.department.default_model if agent.department else "")
            or ("default")
        )

    @admin.display(description="Recent runs")
    def recent_runs(self, agent: Agent) -> str:
        runs = agent.executions.order_by("-created_at")[:10] if agent.pk else []
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:executions_execution_change", args=[run.pk]),
                    run.created_at.strftime("%Y-%m-%d %H:%M"),
                    run.kind,
                    run.status,
                    "-" if run.overall_score is None else f"{run.overall_score:.0f}",
                    run.decision or "-",
                )
                for run in runs
            ),
        )
        if not rows:
            return "No runs yet."
        return format_html(
            "<table><tr><th>When</th><th>Kind</th><th>Status</th><th>Score</th>"
            "<th>Decision</th></tr>{}</table>",
            rows,
        )

    @admin.display(description="Changelog")
    def changelog_display(self, agent: Agent) -> str:
        lines = [
            f"{entry.get('version')} ({str(entry.get('date', ''))[:10]}): {entry.get('changes')}"
            for entry in reversed(agent.changelog)
        ]
        return "\n".join(lines) or "No changes yet."

    def save_model(
        self, request: HttpRequest, obj: Agent, form: forms.ModelForm, change: bool
    ) -> None:
        versioned = False
        if change:
            versioned = services.apply_configuration_change(
                obj, form.changed_data, author=request.user.get_username()
            )
        super().save_model(request, obj, form, change)
        audit.record(
            "agent.update" if change else "agent.create",
            "agent",
            obj.agent_id,
            request=request,
            changes={"fields": form.changed_data, "version": obj.version},
        )
        if versioned:
            messages.info(request, f"{obj.agent_id} is now version {obj.version}.")

    @admin.action(description="Activate selected agents")
    def activate(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        count = services.set_active(queryset, True)
        self.message_user(request, f"Activated {count} agent(s).", messages.SUCCESS)

    @admin.action(description="Deactivate selected agents")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        count = services.set_active(queryset, False)
        self.message_user(request, f"Deactivated {count} agent(s).", messages.SUCCESS)

    @admin.action(description="Duplicate selected agents")
    def duplicate(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        copies = [services.duplicate_agent(agent) for agent in queryset]
        names = ", ".join(copy.agent_id for copy in copies)
        self.message_user(request, f"Created {names}.", messages.SUCCESS)


class CustomToolForm(forms.ModelForm):
    builtin_name = forms.ChoiceField(required=False)
    endpoint_url = forms.URLField(
        required=False, assume_scheme="https", help_text="Where to POST the input (HTTP only)."
    )

    class Meta:
        model = CustomTool
        fields = "__all__"  # noqa: DJ007 (the admin fieldsets choose what is shown)
        widgets = {"signing_secret": forms.PasswordInput(render_value=True)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "---------")] + [(name, name) for name in builtin_tool_names()]
        self.fields["builtin_name"].choices = choices  # type: ignore[attr-defined]


@admin.register(CustomTool)
class CustomToolAdmin(admin.ModelAdmin):
    form = CustomToolForm
    list_display = (
        "tool_name",
        "display_name",
        "implementation",
        "is_global",
        "is_active",
        "total_executions",
        "average_execution_time",
        "error_rate",
        "version",
    )
    list_filter = ("implementation", "is_global", "is_active", "departments")
    search_fields = ("tool_name", "display_name", "description")
    filter_horizontal = ("departments",)
    readonly_fields = TOOL_METRIC_FIELDS
    fieldsets = (
        (None, {"fields": ("tool_name", "display_name", "description", "is_active", "version")}),
        ("Schema", {"fields": ("input_schema", "example_inputs", "output_schema")}),
        (
            "Implementation",
            {
                "fields": (
                    "implementation",
                    "builtin_name",
                    "endpoint_url",
                    "signing_secret",
                    "dependencies",
                )
            },
        ),
        (
            "Availability",
            {
                "fields": (
                    "is_global",
                    "departments",
                    "requires_auth",
                    "rate_limit_max_calls",
                    "rate_limit_window_ms",
                )
            },
        ),
        (
            "Metrics",
            {"classes": ("collapse",), "fields": TOOL_METRIC_FIELDS},
        ),
    )

    def save_model(
        self, request: HttpRequest, obj: CustomTool, form: forms.ModelForm, change: bool
    ) -> None:
        if not change and request.user.is_authenticated:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        audit.record(
            "tool.update" if change else "tool.create",
            "tool",
            obj.tool_name,
            request=request,
            changes={"fields": form.changed_data},
        )
