"""Admin for runs: read-only records with their events, tool calls and child runs."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from executions import results
from executions.models import (
    BudgetAccount,
    BudgetHold,
    Conversation,
    DailyUsage,
    Execution,
    ExecutionEvent,
    HumanReview,
    ToolCall,
)

RESULT_FIELDS = ("score", "decision_label", "outcome", "report_table", "output_json")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = ExecutionEvent
    fk_name = "execution"
    fields = ("sequence", "type", "payload", "created_at")
    readonly_fields = fields


class ToolCallInline(ReadOnlyInline):
    model = ToolCall
    fields = ("tool_name", "success", "duration_ms", "input", "output", "error", "started_at")
    readonly_fields = fields


class ChildInline(ReadOnlyInline):
    model = Execution
    fk_name = "parent"
    fields = (
        "kind",
        "agent",
        "status",
        "overall_score",
        "decision",
        "total_tokens",
        "execution_time",
    )
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = "child runs"


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):
    list_display = (
        "request",
        "kind",
        "agent_id_label",
        "status",
        "score",
        "decision_label",
        "tokens",
        "cost",
    )
    list_filter = ("status", "kind", "department", "project", "review_status", "error_type")
    search_fields = ("execution_id", "prompt", "agent__agent_id")
    list_select_related = ("agent", "project")
    date_hierarchy = "created_at"
    inlines = [ChildInline, ToolCallInline, EventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [*RESULT_FIELDS, *(field.name for field in Execution._meta.fields)]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        shown = ("output", "execution_id", "prompt", "status", "overall_score", "decision")
        rest = [f.name for f in Execution._meta.fields if f.name not in shown and f.name != "id"]
        return (
            (None, {"fields": ("execution_id", "prompt", "status", "score", "decision_label")}),
            ("Result", {"fields": RESULT_FIELDS[2:]}),
            ("Record", {"classes": ("collapse",), "fields": rest}),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Viewing is allowed through the view permission; nothing is editable.
        return False

    @admin.display(description="Request", ordering="-created_at")
    def request(self, execution: Execution) -> str:
        """The request, then when it started and (for orchestrations) its priority."""
        text = execution.prompt.strip().splitlines()[0] if execution.prompt.strip() else ""
        details = [timezone.localtime(execution.created_at).strftime("%b %d %H:%M:%S")]
        if self.priority(execution) != "-":
            details.append(f"{self.priority(execution)} priority")
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            Truncator(text or str(execution.execution_id)).chars(48),
            " · ".join(details),
        )

    @admin.display(description="Tokens", ordering="total_tokens")
    def tokens(self, execution: Execution) -> int:
        return execution.total_tokens

    @admin.display(description="Priority")
    def priority(self, execution: Execution) -> str:
        """The request's priority: the order it waits in for a slot (orchestrations)."""
        options = (execution.params or {}).get("options") or {}
        return str(options.get("priority") or "-")

    @admin.display(description="Agent", ordering="agent__agent_id")
    def agent_id_label(self, execution: Execution) -> str:
        return execution.agent.agent_id if execution.agent else "-"

    @admin.display(description="Score", ordering="overall_score")
    def score(self, execution: Execution) -> str:
        value = results.run_score(execution)
        return "-" if value is None else f"{value:.0f}"

    @admin.display(description="Decision", ordering="decision")
    def decision_label(self, execution: Execution) -> str:
        decision = results.run_decision(execution)
        recommendation = results.recommendation(execution)
        if recommendation and decision:
            return f"{decision} ({recommendation})"
        return decision or recommendation or "-"

    @admin.display(description="Outcome")
    def outcome(self, execution: Execution) -> str:
        return results.stop_reason(execution) or execution.get_status_display()

    @admin.display(description="Department reports")
    def report_table(self, execution: Execution) -> str:
        reports = (execution.output or {}).get("departmentReports") if execution.output else None
        if not isinstance(reports, list) or not reports:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    r.get("name") or r.get("department", "?"),
                    r.get("status", ""),
                    "-" if r.get("score") is None else f"{float(r['score']):.0f}",
                    r.get("decision") or "-",
                    Truncator((r.get("report") or {}).get("summary") or r.get("note", "")).chars(
                        160
                    ),
                )
                for r in reports
                if isinstance(r, dict)
            ),
        )
        return format_html(
            "<table><tr><th>Department</th><th>Status</th><th>Score</th><th>Decision</th>"
            "<th>Summary</th></tr>{}</table>",
            rows,
        )

    @admin.display(description="Output (JSON)")
    def output_json(self, execution: Execution) -> str:
        if execution.output is None:
            return "-"
        text = json.dumps(execution.output, indent=2, ensure_ascii=False, default=str)
        return format_html(
            '<pre style="max-height:32em;overflow:auto;white-space:pre-wrap">{}</pre>', text
        )


@admin.register(HumanReview)
class HumanReviewAdmin(admin.ModelAdmin):
    """People's approvals beside the judge's decisions (executions/approval.py)."""

    list_display = (
        "created_at",
        "department",
        "decision",
        "judge_decision",
        "agrees",
        "entities_approved",
        "entities_rejected",
        "reviewer",
    )
    list_filter = ("department", "decision")
    readonly_fields = [f.name for f in HumanReview._meta.fields]

    @admin.display(boolean=True, description="Agrees with the judge")
    def agrees(self, obj: HumanReview) -> bool:
        return obj.agrees_with_judge

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "project", "status", "created_by", "created_at")
    list_filter = ("status", "project")
    readonly_fields = ("conversation_id", "created_at", "updated_at")


@admin.register(ToolCall)
class ToolCallAdmin(admin.ModelAdmin):
    list_display = ("tool_name", "execution", "success", "duration_ms", "started_at")
    list_filter = ("success", "tool_name")
    search_fields = ("tool_name", "error", "execution__execution_id")
    list_select_related = ("execution",)
    date_hierarchy = "started_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in ToolCall._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExecutionEvent)
class ExecutionEventAdmin(admin.ModelAdmin):
    list_display = ("execution", "sequence", "type", "created_at")
    list_filter = ("type",)
    search_fields = ("execution__execution_id", "type")
    list_select_related = ("execution",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in ExecutionEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DailyUsage)
class DailyUsageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Spend per project, department and day (rolled up every 15 minutes by Celery beat,
    or by `manage.py usage_report`)."""

    list_display = (
        "day",
        "project",
        "department",
        "runs",
        "failed_runs",
        "input_tokens",
        "output_tokens",
        "cost",
    )
    list_filter = ("project", "department", "day")
    date_hierarchy = "day"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HoldInline(ReadOnlyInline):
    model = BudgetHold
    fields = ("holder", "tokens", "micros", "created_at")
    readonly_fields = fields
    verbose_name_plural = "reservations of calls in flight"


@admin.register(BudgetAccount)
class BudgetAccountAdmin(admin.ModelAdmin):
    """Read-only: budgets are set on the project; these are what runs drew on them."""

    list_display = ("key", "spent_tokens", "reserved_tokens", "spent_usd", "updated_at")
    search_fields = ("key",)
    readonly_fields = (
        "key",
        "spent_tokens",
        "reserved_tokens",
        "spent_micros",
        "reserved_micros",
        "created_at",
        "updated_at",
    )
    inlines = [HoldInline]

    @admin.display(description="Spent USD")
    def spent_usd(self, account: BudgetAccount) -> str:
        return f"${account.spent_micros / 1_000_000:.4f}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BudgetHold)
class BudgetHoldAdmin(admin.ModelAdmin):
    list_display = ("account", "holder", "tokens", "micros", "created_at")
    readonly_fields = ("account", "holder", "tokens", "micros", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
