"""Admin for the audit log: read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from aladdin.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = (
        "timestamp",
        "user",
        "action",
        "resource",
        "resource_id",
        "success",
        "ip_address",
    )
    list_filter = ("action", "resource", "success")
    search_fields = ("resource_id", "action", "error_message")
    date_hierarchy = "timestamp"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
