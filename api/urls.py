"""Routes of the REST API (spec 11.1), mounted under /api/."""

from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.views import agents, analytics, auth, catalog, executions, lifecycle, orchestrator
from api.views.not_found import api_not_found
from screenplay.api import ScriptImportView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("auth/token/", auth.TokenView.as_view(), name="api-token"),
    path("auth/token/refresh/", auth.RefreshView.as_view(), name="api-token-refresh"),
    path("orchestrator/execute", orchestrator.ExecuteView.as_view(), name="api-execute"),
    path(
        "orchestrator/<str:execution_id>/cancel",
        orchestrator.CancelView.as_view(),
        name="api-cancel",
    ),
    path(
        "orchestrator/<str:execution_id>/retry",
        lifecycle.RetryView.as_view(),
        name="api-retry",
    ),
    path(
        "orchestrator/<str:execution_id>/resume",
        lifecycle.ResumeView.as_view(),
        name="api-resume",
    ),
    path(
        "orchestrator/<str:execution_id>/approve",
        lifecycle.ApproveView.as_view(),
        name="api-approve",
    ),
    path(
        "orchestrator/<str:execution_id>/reject",
        lifecycle.RejectView.as_view(),
        name="api-reject",
    ),
    # After the actions: `status/approve` is then a bad run id (400), not a GET-only
    # status URL that answers POST with 405.
    path(
        "orchestrator/status/<str:execution_id>",
        orchestrator.StatusView.as_view(),
        name="api-status",
    ),
    path("agents/execute", agents.AgentExecuteView.as_view(), name="api-agent-execute"),
    path("agents", agents.AgentListView.as_view(), name="api-agents"),
    path("agents/<str:agent_id>", agents.AgentDetailView.as_view(), name="api-agent"),
    path("departments", catalog.DepartmentListView.as_view(), name="api-departments"),
    path("tools", catalog.ToolListView.as_view(), name="api-tools"),
    path("tools/<str:tool_name>", catalog.ToolDetailView.as_view(), name="api-tool"),
    path("projects", catalog.ProjectListView.as_view(), name="api-projects"),
    path(
        "projects/<str:project_id>/scripts",
        ScriptImportView.as_view(),
        name="api-project-scripts",
    ),
    path("executions", executions.ExecutionListView.as_view(), name="api-executions"),
    path(
        "executions/<str:execution_id>",
        executions.ExecutionDetailView.as_view(),
        name="api-execution",
    ),
    path("analytics/performance", analytics.PerformanceView.as_view(), name="api-performance"),
    # Last: anything else under /api/ gets a JSON 404, not an HTML page.
    re_path(r"^.*$", api_not_found, name="api-not-found"),
]
