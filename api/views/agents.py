"""Agents: list, create, read, change, delete, and run one directly (spec 11.1)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import services
from api import selectors
from api.serializers.agents import (
    AgentExecuteIn,
    AgentExecuteOut,
    AgentOut,
    AgentSummaryOut,
    CreateAgentIn,
    ListAgentsQuery,
    UpdateAgentIn,
)
from api.serializers.common import SLUG, page_of, page_serializer
from api.throttles import ExecutionRateThrottle
from api.views.common import E400, E429, READ_ERRORS, WRITE_ERRORS, author, query, valid
from brain import access
from departments.models import Department
from executions.agent_runs import execute_agent

AgentPage = page_serializer("AgentPage", AgentSummaryOut)
AGENT_PATH = OpenApiParameter("agent_id", str, OpenApiParameter.PATH, description="The agent id.")
FIELD_NAMES = {
    "name": "name",
    "description": "description",
    "isDepartmentHead": "is_department_head",
    "model": "model",
    "instructionsPrompt": "instructions_prompt",
    "maxAgentSteps": "max_agent_steps",
    "specialization": "specialization",
    "skills": "skills",
    "requiredContext": "required_context",
    "isActive": "is_active",
    "requiresReview": "requires_review",
    "qualityThreshold": "quality_threshold",
    "maxRetries": "max_retries",
    "estimatedTokensPerRun": "estimated_tokens_per_run",
    "agentId": "agent_id",
}
AGENT_EXAMPLE = {
    "agentId": "story-tone-001",
    "name": "Tone Keeper",
    "department": "story",
    "isDepartmentHead": False,
    "model": "",
    "instructionsPrompt": "You keep the series' tone consistent. Answer in JSON.",
    "toolNames": [],
    "specialization": "tone",
    "skills": ["tone", "voice"],
}


def model_fields(data: dict[str, Any]) -> dict[str, Any]:
    """API names -> model fields; the department slug becomes the department."""
    fields = {FIELD_NAMES[key]: value for key, value in data.items() if key in FIELD_NAMES}
    if "department" in data:
        slug = data["department"]
        fields["department"] = None if not slug else _department(slug)
    return fields


def _department(slug: str) -> Department:
    department = Department.objects.filter(slug=slug).first()
    if department is None:
        raise serializers.ValidationError({"department": [f"No department {slug!r}."]})
    return department


def agent_or_404(agent_id: str) -> Any:
    if not SLUG.match(agent_id) or len(agent_id) > 100:
        raise serializers.ValidationError({"agentId": ["Use letters, digits, - or _ only."]})
    return selectors.agent_by_id(agent_id)


class AgentListView(APIView):
    @extend_schema(
        operation_id="agents_list",
        summary="List agents (ListAgentsQuery)",
        parameters=[ListAgentsQuery],
        responses={200: AgentPage, 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        filters = query(request, ListAgentsQuery)
        access.require(request.user, "agent:read")
        agents = selectors.list_agents(filters)
        limit, offset = filters["limit"], filters["offset"]
        page = selectors.agents_page(agents, limit, offset)
        body = page_of(AgentSummaryOut(page, many=True).data, agents.count(), limit, offset)
        return Response(body)

    @extend_schema(
        operation_id="agents_create",
        summary="Create an agent",
        request=CreateAgentIn,
        responses={201: AgentOut, **WRITE_ERRORS},
        examples=[OpenApiExample("A specialist", request_only=True, value=AGENT_EXAMPLE)],
    )
    def post(self, request: Request) -> Response:
        data = valid(CreateAgentIn, request.data)
        access.require(request.user, "agent:configure")
        agent = services.create_agent(
            model_fields(data), data.get("toolNames"), author=author(request)
        )
        return Response(
            AgentOut(selectors.agent_by_id(agent.agent_id)).data, status=status.HTTP_201_CREATED
        )


class AgentDetailView(APIView):
    @extend_schema(
        operation_id="agents_read",
        summary="One agent",
        parameters=[AGENT_PATH],
        responses={200: AgentOut, 400: E400, **READ_ERRORS},
    )
    def get(self, request: Request, agent_id: str) -> Response:
        access.require(request.user, "agent:read")
        return Response(AgentOut(agent_or_404(agent_id)).data)

    @extend_schema(
        operation_id="agents_update",
        summary="Change an agent (UpdateAgentRequest); a configuration change is a new version",
        parameters=[AGENT_PATH],
        request=UpdateAgentIn,
        responses={200: AgentOut, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Stricter", request_only=True, value={"qualityThreshold": 85, "isActive": True}
            )
        ],
    )
    def put(self, request: Request, agent_id: str) -> Response:
        return self._change(request, agent_id)

    @extend_schema(
        operation_id="agents_partial_update",
        summary="Change some fields of an agent (same rules as PUT)",
        parameters=[AGENT_PATH],
        request=UpdateAgentIn,
        responses={200: AgentOut, **WRITE_ERRORS},
        examples=[OpenApiExample("Deactivate", request_only=True, value={"isActive": False})],
    )
    def patch(self, request: Request, agent_id: str) -> Response:
        return self._change(request, agent_id)

    def _change(self, request: Request, agent_id: str) -> Response:
        data = valid(UpdateAgentIn, request.data)
        access.require(request.user, "agent:configure")
        agent = agent_or_404(agent_id)
        services.update_agent(
            agent, model_fields(data), data.get("toolNames"), author=author(request)
        )
        return Response(AgentOut(selectors.agent_by_id(agent_id)).data)

    @extend_schema(
        operation_id="agents_delete",
        summary="Delete an agent (its past runs are kept)",
        parameters=[AGENT_PATH],
        request=None,
        responses={204: None, 400: E400, **READ_ERRORS},
    )
    def delete(self, request: Request, agent_id: str) -> Response:
        access.require(request.user, "agent:delete")
        services.delete_agent(agent_or_404(agent_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AgentExecuteView(APIView):
    throttle_classes = [ExecutionRateThrottle]

    @extend_schema(
        operation_id="agents_execute",
        summary="Run one agent directly (AgentExecuteRequest)",
        description="Recorded like any run, with events, within the project's budgets; "
        "answers when the run ends.",
        request=AgentExecuteIn,
        responses={200: AgentExecuteOut, **WRITE_ERRORS, 429: E429},
        examples=[
            OpenApiExample(
                "A direct run",
                request_only=True,
                value={
                    "agentId": "character-psychology-001",
                    "projectId": "the-lantern-keepers",
                    "prompt": "What does Mara fear most?",
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = valid(AgentExecuteIn, request.data)
        project = selectors.project_by_ref(request.user, data["projectId"], "agent:execute")
        agent = selectors.agent_by_id(data["agentId"])
        if not agent.is_active:
            raise serializers.ValidationError({"agentId": ["This agent is inactive."]})
        result = async_to_sync(execute_agent)(
            agent,
            data["prompt"],
            project,
            requested_by_id=request.user.pk,
            context=data.get("context"),
            previous_run=data.get("previousRun"),
        )
        body = {
            "executionId": result.execution_id,
            "status": result.status,
            "output": result.output,
            "rawOutput": result.raw_output,
            "qualityScore": None,
            "tokenUsage": {
                "input": result.input_tokens,
                "output": result.output_tokens,
                "total": result.total_tokens,
            },
            "cost": result.cost,
            "executionTime": result.elapsed_ms,
            "error": result.error.to_dict() if result.error else None,
        }
        return Response(AgentExecuteOut(body).data)
