"""Agents: list filters, create, update, direct execution."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.serializers.common import (
    AgentIdField,
    PageIn,
    ProjectRefField,
    StrictIn,
    TokenUsageOut,
)

CONTEXT_PARTS = ("project", "episodes", "scenes", "characters", "relationships")


class ListAgentsQuery(PageIn):
    department = serializers.CharField(required=False, max_length=50)
    isDepartmentHead = serializers.BooleanField(required=False, allow_null=True, default=None)
    isActive = serializers.BooleanField(required=False, allow_null=True, default=None)


class AgentMetricsOut(serializers.Serializer):
    successRate = serializers.FloatField(source="success_rate")
    averageExecutionTime = serializers.FloatField(source="average_execution_time")
    totalExecutions = serializers.IntegerField(source="total_executions")
    averageQualityScore = serializers.FloatField(source="average_quality_score")
    totalTokensUsed = serializers.IntegerField(source="total_tokens_used")
    lastExecutedAt = serializers.DateTimeField(source="last_executed_at", allow_null=True)


class AgentSummaryOut(serializers.Serializer):
    """An agent in a list: without its prompt and changelog (GET /api/agents/{id} has them)."""

    agentId = serializers.CharField(source="agent_id")
    name = serializers.CharField()
    description = serializers.CharField()
    department = serializers.CharField(source="department.slug", allow_null=True, default=None)
    isDepartmentHead = serializers.BooleanField(source="is_department_head")
    role = serializers.ChoiceField(choices=["orchestrator", "department_head", "specialist"])
    model = serializers.CharField(help_text="Blank: the department's default, then the site's.")
    toolNames = serializers.SerializerMethodField()
    specialization = serializers.CharField()
    skills = serializers.ListField(child=serializers.CharField())
    isActive = serializers.BooleanField(source="is_active")
    requiresReview = serializers.BooleanField(source="requires_review")
    qualityThreshold = serializers.IntegerField(source="quality_threshold")
    metrics = AgentMetricsOut(source="*")
    version = serializers.CharField()
    updatedAt = serializers.DateTimeField(source="updated_at")

    def get_toolNames(self, agent: Any) -> list[str]:
        names = getattr(agent, "tool_names", None)  # set by api.selectors.agents_page
        if names is not None:
            return list(names)
        return sorted(tool.tool_name for tool in agent.tools.all())


class AgentOut(serializers.Serializer):
    agentId = serializers.CharField(source="agent_id")
    name = serializers.CharField()
    description = serializers.CharField()
    department = serializers.CharField(source="department.slug", allow_null=True, default=None)
    isDepartmentHead = serializers.BooleanField(source="is_department_head")
    role = serializers.ChoiceField(choices=["orchestrator", "department_head", "specialist"])
    model = serializers.CharField(help_text="Blank: the department's default, then the site's.")
    instructionsPrompt = serializers.CharField(source="instructions_prompt")
    toolNames = serializers.SerializerMethodField()
    maxAgentSteps = serializers.IntegerField(source="max_agent_steps")
    specialization = serializers.CharField()
    skills = serializers.ListField(child=serializers.CharField())
    requiredContext = serializers.ListField(
        source="required_context", child=serializers.CharField()
    )
    isActive = serializers.BooleanField(source="is_active")
    requiresReview = serializers.BooleanField(source="requires_review")
    qualityThreshold = serializers.IntegerField(source="quality_threshold")
    maxRetries = serializers.IntegerField(source="max_retries")
    estimatedTokensPerRun = serializers.IntegerField(source="estimated_tokens_per_run")
    metrics = AgentMetricsOut(source="*")
    version = serializers.CharField()
    changelog = serializers.ListField(child=serializers.DictField())
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    def get_toolNames(self, agent: Any) -> list[str]:
        return sorted(tool.tool_name for tool in agent.tools.all())


class _AgentFields(StrictIn):
    """Writable fields and their limits (spec 10.2); names as the API spells them."""

    echoed = frozenset(AgentOut().fields)

    name = serializers.CharField(min_length=1, max_length=200)
    description = serializers.CharField(max_length=2000, allow_blank=True)
    department = serializers.CharField(
        max_length=50, allow_null=True, help_text="Department slug; null for the orchestrator."
    )
    isDepartmentHead = serializers.BooleanField()
    model = serializers.CharField(max_length=200, allow_blank=True)
    instructionsPrompt = serializers.CharField(min_length=1, max_length=50_000)
    toolNames = serializers.ListField(child=serializers.CharField(max_length=64), max_length=100)
    maxAgentSteps = serializers.IntegerField(min_value=1, max_value=100)
    specialization = serializers.CharField(max_length=100, allow_blank=True)
    skills = serializers.ListField(child=serializers.CharField(max_length=200), max_length=100)
    requiredContext = serializers.ListField(child=serializers.ChoiceField(CONTEXT_PARTS))
    isActive = serializers.BooleanField()
    requiresReview = serializers.BooleanField()
    qualityThreshold = serializers.IntegerField(min_value=0, max_value=100)
    maxRetries = serializers.IntegerField(min_value=0, max_value=10)
    estimatedTokensPerRun = serializers.IntegerField(min_value=0, max_value=10_000_000)


class CreateAgentIn(_AgentFields):
    agentId = AgentIdField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = name in {"agentId", "name", "instructionsPrompt"}


class UpdateAgentIn(_AgentFields):
    """Every field optional (spec 11.1 UpdateAgentRequest), for PUT and PATCH alike."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class AgentExecuteIn(StrictIn):
    agentId = AgentIdField()
    projectId = ProjectRefField(help_text="Whose context, budgets and provider key the run uses.")
    prompt = serializers.CharField(min_length=1, max_length=10_000, trim_whitespace=True)
    # Declared fields leave the class, so this does not hide Serializer.context.
    context = serializers.JSONField(  # type: ignore[assignment]
        required=False, help_text="Extra context for this run."
    )
    previousRun = serializers.JSONField(required=False, help_text="A previous output to improve.")


class AgentExecuteOut(serializers.Serializer):
    executionId = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["completed", "failed", "cancelled", "skipped"])
    output = serializers.JSONField(allow_null=True)
    rawOutput = serializers.CharField(allow_blank=True)
    qualityScore = serializers.FloatField(
        allow_null=True, help_text="Direct runs are not reviewed: null."
    )
    tokenUsage = TokenUsageOut()
    cost = serializers.FloatField(allow_null=True, help_text="USD; null when unknown.")
    executionTime = serializers.IntegerField(help_text="Milliseconds.")
    error = serializers.DictField(allow_null=True)
