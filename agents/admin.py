"""Admin for agents and tools: the CMS where a production team shapes its agent team."""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
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
    # What matters in a 1400 px window beside the admin's sidebar.
    list_display = (
        "agent_label",
        "department_label",
        "active",
        "effective_model",
        "threshold",
        "runs",
        "success_percent",
    )
    list_display_links = ("agent_label",)
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
                    "loop_detection",
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

    @admin.display(description="Agent", ordering="agent_id")
    def agent_label(self, agent: Agent) -> str:
        return format_html(
            '<span style="white-space:nowrap">{}</span><br><span class="quiet">{}</span>',
            agent.agent_id,
            agent.name,
        )

    @admin.display(description="Dept.", ordering="department__priority")
    def department_label(self, agent: Agent) -> str:
        return agent.department.slug if agent.department else "-"

    @admin.display(description="Active", boolean=True, ordering="is_active")
    def active(self, agent: Agent) -> bool:
        return agent.is_active

    @admin.display(description="Threshold", ordering="quality_threshold")
    def threshold(self, agent: Agent) -> int:
        return agent.quality_threshold

    @admin.display(description="Runs", ordering="total_executions")
    def runs(self, agent: Agent) -> int:
        return agent.total_executions

    @admin.display(description="Success", ordering="success_rate")
    def success_percent(self, agent: Agent) -> str:
        return f"{agent.success_rate:.0f}%" if agent.total_executions else "-"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agent]:
        # The model that answered its latest run; by name, so agents/ imports no app above it.
        runs = apps.get_model("executions", "Execution").objects
        latest = runs.filter(agent=OuterRef("pk")).exclude(model="").order_by("-created_at")
        last_model = Subquery(latest.values("model")[:1])
        return super().get_queryset(request).annotate(last_model=last_model)

    @admin.display(description="Model")
    def effective_model(self, agent: Agent) -> str:
        configured = (
            agent.model
            or (agent.department.default_model if agent.department else "")
            or settings.ALADDIN_DEFAULT_MODEL
        )
        used = getattr(agent, "last_model", None)
        return f"{configured} (last: {used})" if used and used != configured else configured

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
            # The admin capitalises a message's first letter; agent ids are lower case.
            messages.info(request, f"Saved as version {obj.version} of {obj.agent_id}.")

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


SECRET_FORM_FIELDS = ("new_signing_secret", "remove_signing_secret")


class CustomToolForm(forms.ModelForm):
    builtin_name = forms.ChoiceField(required=False)
    endpoint_url = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text="Where to POST the input (HTTP only). Loopback, private, link-local and "
        "metadata addresses are refused unless the server allows them.",
    )
    # The stored secret is write-only: never rendered back, replaced only when typed.
    new_signing_secret = forms.CharField(
        label="New signing secret",
        required=False,
        strip=False,
        max_length=400,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="HTTP only: requests carry X-Webhook-Signature = HMAC-SHA256 of the body. "
        "Type a secret to replace the stored one; leave empty to keep it.",
    )
    remove_signing_secret = forms.BooleanField(
        required=False, label="Remove the stored signing secret"
    )

    class Meta:
        model = CustomTool
        # The secret never enters the form as a value; new_signing_secret replaces it.
        exclude = ("signing_secret",)  # noqa: DJ006

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "---------")] + [(name, name) for name in builtin_tool_names()]
        self.fields["builtin_name"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        new, remove = cleaned.get("new_signing_secret"), cleaned.get("remove_signing_secret")
        if new and remove:
            self.add_error("remove_signing_secret", "Type a new secret or remove it, not both.")
        elif new and not settings.ALADDIN_ENCRYPTION_KEY:
            self.add_error(
                "new_signing_secret",
                "ALADDIN_ENCRYPTION_KEY is not set on this server, so no secret can be stored.",
            )
        elif new:
            self.instance.signing_secret = new
        elif remove:
            self.instance.signing_secret = ""
        return cleaned


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
    readonly_fields = (*TOOL_METRIC_FIELDS, "signing_secret_status")
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
                    "signing_secret_status",
                    *SECRET_FORM_FIELDS,
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

    @admin.display(description="Signing secret")
    def signing_secret_status(self, tool: CustomTool) -> str:
        return "set" if tool.signing_secret else "not set"

    def get_fieldsets(self, request: HttpRequest, obj: CustomTool | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj) if obj else self.has_add_permission(request):
            return fieldsets
        # View-only staff see whether a secret is set, and no inputs for it.
        return [
            (
                name,
                {
                    **options,
                    "fields": [f for f in options["fields"] if f not in SECRET_FORM_FIELDS],
                },
            )
            for name, options in fieldsets
        ]

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
