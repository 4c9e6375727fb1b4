"""Admin for runs: read-only records with their events, tool calls and child runs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from executions.models import Conversation, Execution, ExecutionEvent, ToolCall


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
        "execution_id",
        "kind",
        "agent",
        "project",
        "status",
        "overall_score",
        "decision",
        "total_tokens",
        "cost",
        "execution_time",
        "created_at",
    )
    list_filter = ("status", "kind", "department", "project", "review_status", "error_type")
    search_fields = ("execution_id", "prompt", "agent__agent_id")
    list_select_related = ("agent", "project")
    date_hierarchy = "created_at"
    inlines = [ChildInline, ToolCallInline, EventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Execution._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Viewing is allowed through the view permission; nothing is editable.
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
