"""Admin for the story world: projects, episodes, scenes, characters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from brain.graph.base import GraphError
from brain.models import (
    BrainDocument,
    Character,
    CharacterRelationship,
    Episode,
    GraphEdge,
    GraphNode,
    Project,
    ProjectMembership,
    Scene,
    SceneAppearance,
)


class EpisodeInline(admin.TabularInline):
    model = Episode
    extra = 0
    fields = ("episode_number", "title", "synopsis")
    show_change_link = True


class CharacterInline(admin.TabularInline):
    model = Character
    extra = 0
    fields = ("name", "role", "description")
    show_change_link = True


class MembershipInline(admin.TabularInline):
    model = ProjectMembership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)
    verbose_name = "member"
    verbose_name_plural = "members (who may read, run and configure this project)"


class ProjectForm(forms.ModelForm):
    """The provider key is write-only: never rendered back; blank keeps the stored one."""

    llm_api_key = forms.CharField(
        label="Provider API key",
        required=False,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False),
        help_text="Used for this project's model calls instead of ALADDIN_LLM_API_KEY. "
        "Stored encrypted and never shown; leave blank to keep the current key.",
    )
    clear_llm_api_key = forms.BooleanField(label="Remove the provider API key", required=False)

    class Meta:
        model = Project
        fields = "__all__"  # noqa: DJ007 (the admin fieldsets choose what is shown)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("clear_llm_api_key"):
            data["llm_api_key"] = ""
        elif not data.get("llm_api_key") and self.instance.pk:
            data["llm_api_key"] = self.instance.llm_api_key
        return data


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectForm

    @admin.display(description="Spent today")
    def spent_today(self, project: Project) -> str:
        if project.pk is None:
            return "-"
        from executions.selectors import spent_today

        tokens, usd = spent_today(project)
        share = 100 * tokens / project.token_budget_daily if project.token_budget_daily else 0
        return (
            f"{tokens:,} tokens ({share:.0f}% of the daily budget), ${usd:.4f}; "
            "runs on the demo model are free and not counted"
        )

    list_display = (
        "name",
        "slug",
        "genre",
        "is_active",
        "token_budget_per_execution",
        "token_budget_daily",
        "updated_at",
        "graph_link",
    )
    list_filter = ("is_active", "genre")
    search_fields = ("name", "slug", "logline", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("uid", "created_at", "updated_at", "spent_today")
    inlines = [MembershipInline, EpisodeInline, CharacterInline]
    actions = ["rebuild_graph"]
    fieldsets = (
        (None, {"fields": ("name", "slug", "genre", "logline", "description", "is_active")}),
        (
            "Budgets",
            {
                "fields": (
                    "token_budget_per_execution",
                    "token_budget_daily",
                    "usd_budget_per_execution",
                    "usd_budget_daily",
                    "spent_today",
                    "pause_at_budget",
                )
            },
        ),
        ("Approval", {"fields": ("requires_approval",)}),
        (
            "Model tiers",
            {
                "classes": ("collapse",),
                "fields": (
                    "model_simple",
                    "model_standard",
                    "model_premium",
                    "llm_api_key",
                    "clear_llm_api_key",
                ),
            },
        ),
        (
            "Advanced",
            {"classes": ("collapse",), "fields": ("settings", "uid", "created_at", "updated_at")},
        ),
    )

    # Django would print the field names as "Usd budget ...".
    LABELS = {
        "usd_budget_per_execution": "USD budget per execution",
        "usd_budget_daily": "USD budget per day",
    }

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.LABELS:
            field.label = self.LABELS[db_field.name]
        return field

    @admin.display(description="Graph")
    def graph_link(self, project: Project) -> str:
        return format_html('<a href="{}">graph</a>', reverse("brain:graph", args=[project.slug]))

    @admin.action(description="Rebuild the brain graph from the database")
    def rebuild_graph(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        from brain.services import rebuild_graphs

        for project in queryset:
            try:
                report = rebuild_graphs(project.slug)[project.slug]
            except (GraphError, OSError) as exc:
                self.message_user(
                    request, f"{project}: the graph could not be updated: {exc}", messages.ERROR
                )
                continue
            verdict = report.summary() if report.changed else "already in step"
            self.message_user(request, f"{project}: {verdict}", messages.SUCCESS)


class SceneInline(admin.TabularInline):
    model = Scene
    extra = 0
    fields = ("scene_number", "title", "location", "summary")
    show_change_link = True


@admin.register(Episode)
class EpisodeAdmin(admin.ModelAdmin):
    list_display = ("__str__", "project", "episode_number", "title")
    list_filter = ("project",)
    search_fields = ("title", "synopsis")
    readonly_fields = ("uid",)
    inlines = [SceneInline]


class AppearanceInline(admin.TabularInline):
    model = SceneAppearance
    extra = 0
    autocomplete_fields = ("character", "scene")


@admin.register(Scene)
class SceneAdmin(admin.ModelAdmin):
    list_display = ("__str__", "location", "episode")
    list_filter = ("episode__project", "episode")
    search_fields = ("title", "summary", "content", "location")
    readonly_fields = ("uid",)
    inlines = [AppearanceInline]


class RelationshipInline(admin.TabularInline):
    model = CharacterRelationship
    fk_name = "from_character"
    extra = 0
    autocomplete_fields = ("to_character",)
    verbose_name = "relationship"


@admin.register(Character)
class CharacterAdmin(admin.ModelAdmin):
    list_display = ("name", "project", "role")
    list_filter = ("project", "role")
    search_fields = ("name", "description", "backstory")
    readonly_fields = ("uid",)
    inlines = [RelationshipInline, AppearanceInline]


@admin.register(CharacterRelationship)
class CharacterRelationshipAdmin(admin.ModelAdmin):
    list_display = ("from_character", "type", "to_character", "strength")
    list_filter = ("type", "from_character__project")
    search_fields = ("from_character__name", "to_character__name", "type")
    autocomplete_fields = ("from_character", "to_character")


@admin.register(SceneAppearance)
class SceneAppearanceAdmin(admin.ModelAdmin):
    list_display = ("character", "scene", "role")
    list_filter = ("scene__episode__project",)
    search_fields = ("character__name", "scene__title")
    autocomplete_fields = ("character", "scene")


class ReadOnlyAdmin(admin.ModelAdmin):
    """The graph tables mirror the story rows: change those, or run brain_sync."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GraphNode)
class GraphNodeAdmin(ReadOnlyAdmin):
    list_display = ("label", "node_id", "project_uid")
    list_filter = ("label",)
    search_fields = ("node_id", "project_uid")


@admin.register(GraphEdge)
class GraphEdgeAdmin(ReadOnlyAdmin):
    list_display = ("type", "source", "target", "key")
    list_filter = ("type",)
    list_select_related = ("source", "target")


@admin.register(BrainDocument)
class BrainDocumentAdmin(ReadOnlyAdmin):
    list_display = ("doc_id", "type", "project_uid", "updated_at")
    list_filter = ("type",)
    search_fields = ("doc_id", "text")
    exclude = ("embedding",)


@admin.register(ProjectMembership)
class ProjectMembershipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Who belongs to which project, with what role (also editable on each project)."""

    list_display = ("user", "project", "role", "created_at")
    list_filter = ("role", "project")
    search_fields = ("user__username", "user__email", "project__name", "project__slug")
    autocomplete_fields = ("user", "project")
