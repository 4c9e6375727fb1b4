"""Admin for the story world: projects, episodes, scenes, characters."""

from __future__ import annotations

from django.contrib import admin

from brain.models import (
    Character,
    CharacterRelationship,
    Episode,
    Project,
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


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "genre",
        "is_active",
        "token_budget_per_execution",
        "token_budget_daily",
        "updated_at",
    )
    list_filter = ("is_active", "genre")
    search_fields = ("name", "slug", "logline", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("uid", "created_at", "updated_at")
    inlines = [EpisodeInline, CharacterInline]
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
                )
            },
        ),
        (
            "Model tiers",
            {
                "classes": ("collapse",),
                "fields": ("model_simple", "model_standard", "model_premium"),
            },
        ),
        (
            "Advanced",
            {"classes": ("collapse",), "fields": ("settings", "uid", "created_at", "updated_at")},
        ),
    )


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
