"""Departments, tools and projects (spec 11.1)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import services
from agents.models import CustomTool
from api import selectors
from api.serializers.projects import DepartmentOut, ProjectOut
from api.serializers.tools import CreateToolIn, ToolOut, UpdateToolIn
from api.views.common import E400, READ_ERRORS, WRITE_ERRORS, valid
from brain import access

TOOL_PATH = OpenApiParameter("tool_name", str, OpenApiParameter.PATH, description="Tool name.")
TOOL_FIELDS = {
    "toolName": "tool_name",
    "displayName": "display_name",
    "description": "description",
    "inputSchema": "input_schema",
    "exampleInputs": "example_inputs",
    "outputSchema": "output_schema",
    "implementation": "implementation",
    "builtinName": "builtin_name",
    "endpointUrl": "endpoint_url",
    "signingSecret": "signing_secret",
    "dependencies": "dependencies",
    "isGlobal": "is_global",
    "requiresAuth": "requires_auth",
    "rateLimitMaxCalls": "rate_limit_max_calls",
    "rateLimitWindowMs": "rate_limit_window_ms",
    "isActive": "is_active",
    "version": "version",
}
TOOL_EXAMPLE = {
    "toolName": "lookup_weather",
    "displayName": "Weather lookup",
    "description": "Call when a scene needs the weather of a real place.",
    "inputSchema": {
        "type": "object",
        "properties": {"place": {"type": "string"}},
        "required": ["place"],
    },
    "implementation": "http",
    "endpointUrl": "https://tools.example.com/weather",
    "signingSecret": "a-long-shared-secret",
    "isGlobal": True,
}


def tool_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {TOOL_FIELDS[key]: value for key, value in data.items() if key in TOOL_FIELDS}


def tool_or_404(name: str) -> CustomTool:
    if len(name) > 64:
        raise serializers.ValidationError({"toolName": ["At most 64 characters."]})
    return selectors.tool_by_name(name)


class DepartmentListView(APIView):
    @extend_schema(
        operation_id="departments_list",
        summary="The departments, their heads and agents",
        responses={200: DepartmentOut(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        access.require(request.user, "agent:read")
        return Response(DepartmentOut(selectors.list_departments(), many=True).data)


class ToolListView(APIView):
    @extend_schema(
        operation_id="tools_list",
        summary="Tools agents may call",
        responses={200: ToolOut(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        access.require(request.user, "agent:read")
        return Response(ToolOut(selectors.list_tools(), many=True).data)

    @extend_schema(
        operation_id="tools_create",
        summary="Create a tool (built-in by name, or an HTTP endpoint)",
        request=CreateToolIn,
        responses={201: ToolOut, **WRITE_ERRORS},
        examples=[OpenApiExample("An HTTP tool", request_only=True, value=TOOL_EXAMPLE)],
    )
    def post(self, request: Request) -> Response:
        data = valid(CreateToolIn, request.data)
        access.require(request.user, "agent:configure")
        tool = services.create_tool(
            tool_fields(data), data.get("departments", []), user=request.user
        )
        return Response(ToolOut(tool).data, status=status.HTTP_201_CREATED)


class ToolDetailView(APIView):
    @extend_schema(
        operation_id="tools_read",
        summary="One tool",
        parameters=[TOOL_PATH],
        responses={200: ToolOut, 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request, tool_name: str) -> Response:
        access.require(request.user, "agent:read")
        return Response(ToolOut(tool_or_404(tool_name)).data)

    @extend_schema(
        operation_id="tools_update",
        summary="Change a tool",
        parameters=[TOOL_PATH],
        request=UpdateToolIn,
        responses={200: ToolOut, **WRITE_ERRORS},
        examples=[OpenApiExample("Deactivate", request_only=True, value={"isActive": False})],
    )
    def put(self, request: Request, tool_name: str) -> Response:
        data = valid(UpdateToolIn, request.data)
        access.require(request.user, "agent:configure")
        tool = services.update_tool(
            tool_or_404(tool_name), tool_fields(data), data.get("departments")
        )
        return Response(ToolOut(tool_or_404(tool.tool_name)).data)

    @extend_schema(
        operation_id="tools_delete",
        summary="Delete a tool",
        parameters=[TOOL_PATH],
        request=None,
        responses={204: None, 400: E400, **READ_ERRORS},
    )
    def delete(self, request: Request, tool_name: str) -> Response:
        access.require(request.user, "agent:delete")
        services.delete_tool(tool_or_404(tool_name))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectListView(APIView):
    @extend_schema(
        operation_id="projects_list",
        summary="Your projects, with their episodes, scenes and characters",
        responses={200: ProjectOut(many=True), **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(ProjectOut(selectors.list_projects(request.user), many=True).data)
