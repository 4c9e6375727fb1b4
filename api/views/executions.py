"""Execution history (spec 11.1 ListExecutionsQuery) and one run in full."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import selectors
from api.serializers.common import page_of, page_serializer
from api.serializers.executions import (
    ExecutionDetailOut,
    ExecutionOut,
    ListExecutionsQuery,
    execution_summaries,
)
from api.views.common import E400, READ_ERRORS, query, uuid_or_400

ExecutionPage = page_serializer("ExecutionPage", ExecutionOut)


class ExecutionListView(APIView):
    @extend_schema(
        operation_id="executions_list",
        summary="Runs of your projects, newest first",
        parameters=[ListExecutionsQuery],
        responses={200: ExecutionPage, 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = query(request, ListExecutionsQuery)
        runs = selectors.list_executions(request.user, filters)
        if filters.get("projectId"):
            project = selectors.project_by_ref(request.user, filters["projectId"], "execution:read")
            runs = runs.narrow(project=project)
        limit, offset = filters["limit"], filters["offset"]
        page, count = runs.page(limit, offset)
        return Response(page_of(execution_summaries(page), count, limit, offset))


class ExecutionDetailView(APIView):
    @extend_schema(
        operation_id="executions_read",
        summary="One run with its children, events and tool calls",
        parameters=[
            OpenApiParameter("execution_id", str, OpenApiParameter.PATH, description="A UUID.")
        ],
        responses={200: ExecutionDetailOut, 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request, execution_id: str) -> Response:
        run = selectors.execution_detail(request.user, uuid_or_400(execution_id))
        return Response(ExecutionDetailOut(run).data)
