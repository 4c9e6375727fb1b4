"""GET /api/analytics/performance (spec 11.1), over the projects the caller may read."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import selectors
from api.serializers.analytics import PerformanceOut, PerformanceQuery
from api.views.common import E400, READ_ERRORS, query
from brain import access
from brain.models import Project
from executions.analytics import performance


class PerformanceView(APIView):
    @extend_schema(
        operation_id="analytics_performance",
        summary="Run times, quality, success rate, tokens and cost over a timeframe",
        parameters=[PerformanceQuery],
        responses={200: PerformanceOut, 400: E400, **READ_ERRORS},
        examples=[
            OpenApiExample(
                "Last week",
                response_only=True,
                value={
                    "avgExecutionTime": 8421.5,
                    "avgQualityScore": 84.2,
                    "totalExecutions": 12,
                    "successRate": 91.67,
                    "totalTokensUsed": 184220,
                    "estimatedCost": 1.2841,
                    "byDepartment": {
                        "story": {"executions": 9, "avgTime": 5120.0, "avgQuality": 86.1}
                    },
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        filters = query(request, PerformanceQuery)
        access.require(request.user, "execution:read")
        projects = access.projects_with(request.user, "execution:read")
        if filters.get("projectId"):
            project = selectors.project_by_ref(request.user, filters["projectId"], "execution:read")
            projects = Project.objects.filter(pk=project.pk)
        body = performance(projects, filters["timeframe"], department=filters.get("department"))
        return Response(PerformanceOut(body).data)
