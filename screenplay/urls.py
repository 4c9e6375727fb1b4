"""A project's script pages, under /projects/<slug>/script/."""

from __future__ import annotations

from django.urls import path

from screenplay import views

app_name = "screenplay"

urlpatterns = [
    path("", views.script_page, name="script"),
    path("breakdown/", views.start_breakdown_view, name="start-breakdown"),
    path("scenes/<int:scene_id>/", views.scene_page, name="scene"),
    path("continuity/", views.continuity_page, name="continuity"),
    path("documents/<str:kind>", views.document, name="document"),
]
