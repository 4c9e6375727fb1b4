"""The producer's pages."""

from __future__ import annotations

from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("requests/new/", views.new_request, name="new-request"),
    path("executions/", views.executions, name="executions"),
    path("executions/<uuid:execution_id>/", views.monitor, name="monitor"),
    path("executions/<uuid:execution_id>/cancel/", views.cancel, name="cancel"),
    path(
        "executions/<uuid:execution_id>/<str:action>/",
        views.next_step,
        name="next-step",
    ),
    path("agents/", views.agents, name="agents"),
    path("audit/", views.audit, name="audit"),
    path("charts/", views.charts_page, name="charts"),
]
