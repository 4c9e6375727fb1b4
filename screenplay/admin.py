"""Admin: upload a script (the same import as the command and the project page), the
imports and their changes, breakdown proposals, continuity warnings, and the brain's
locations and elements."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from brain.access import AccessDenied, require
from brain.models import Element, Location, SceneElement
from screenplay.forms import AdminUploadForm
from screenplay.importing import import_script
from screenplay.models import (
    BreakdownRun,
    ContinuityWarning,
    ElementProposal,
    SceneSource,
    ScriptImport,
)
from screenplay.parsing import ScriptError


@admin.register(ScriptImport)
class ScriptImportAdmin(admin.ModelAdmin):
    list_display = ("filename", "format", "project", "episode", "created_at", "created_by")
    list_filter = ("project", "format")
    readonly_fields = ("project", "episode", "filename", "format", "sha256", "title_page",
                       "changes", "created_by", "created_at", "text")  # fmt: skip

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """The upload form instead of a model form: the import writes the rows."""
        form = AdminUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            project = form.cleaned_data["project"]
            upload = form.cleaned_data["file"]
            try:
                require(request.user, "project:write", project)
                result = import_script(
                    project, upload.read(), upload.name,
                    episode_number=form.cleaned_data["episode"], user_id=request.user.pk,
                )  # fmt: skip
            except (ScriptError, AccessDenied) as error:
                form.add_error("file", f"{upload.name}: {error}")
            else:
                self.message_user(request, result.summary(), messages.SUCCESS)
                url = reverse(
                    "admin:screenplay_scriptimport_change", args=[result.script_import.pk]
                )
                return HttpResponseRedirect(url)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a script",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/screenplay/upload.html", context)


@admin.register(SceneSource)
class SceneSourceAdmin(admin.ModelAdmin):
    list_display = ("heading", "script_number", "scene", "start_line", "end_line")
    list_filter = ("scene__episode__project",)
    search_fields = ("heading",)
    readonly_fields = ("scene", "script_import", "elements", "cast_lines")


@admin.register(BreakdownRun)
class BreakdownRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "project", "status", "message", "created_at")
    list_filter = ("project", "status")
    readonly_fields = ("execution",)


@admin.register(ElementProposal)
class ElementProposalAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "scene", "status", "line", "fate")
    list_filter = ("status", "category", "scene__episode__project")
    search_fields = ("name", "evidence")
    readonly_fields = ("run", "scene", "evidence", "line", "decided_by", "decided_at")
    actions = ["confirm", "reject"]

    @admin.action(description="Confirm (make canon)")
    def confirm(self, request: HttpRequest, queryset: Any) -> None:
        from screenplay.breakdown import decide

        done = decide(
            queryset.select_related("run__project"), confirm=True, user_id=request.user.pk
        )
        self.message_user(request, f"{done} confirmed (flagged ones never are).")

    @admin.action(description="Reject")
    def reject(self, request: HttpRequest, queryset: Any) -> None:
        from screenplay.breakdown import decide

        done = decide(queryset, confirm=False, user_id=request.user.pk)
        self.message_user(request, f"{done} rejected.")


@admin.register(ContinuityWarning)
class ContinuityWarningAdmin(admin.ModelAdmin):
    list_display = ("rule", "message", "project", "active", "dismissed_at")
    list_filter = ("project", "rule", "active")
    search_fields = ("message",)
    readonly_fields = ("project", "rule", "fingerprint", "message", "scenes", "lines", "active",
                       "first_seen", "last_checked")  # fmt: skip


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "project")
    list_filter = ("project",)
    search_fields = ("name",)
    readonly_fields = ("uid",)


@admin.register(SceneElement)
class SceneElementAdmin(admin.ModelAdmin):
    list_display = ("element", "scene", "fate", "line")
    list_filter = ("element__category", "scene__episode__project")
    search_fields = ("element__name", "evidence")
    autocomplete_fields = ("scene", "element")


class UseInline(admin.TabularInline):
    model = SceneElement
    extra = 0
    autocomplete_fields = ("scene",)


@admin.register(Element)
class ElementAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "project")
    list_filter = ("project", "category")
    search_fields = ("name",)
    readonly_fields = ("uid",)
    inlines = [UseInline]
