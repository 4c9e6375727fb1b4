"""Tools agents may call: built-in by name, or HTTP endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.serializers.common import StrictIn


class ToolOut(serializers.Serializer):
    toolName = serializers.CharField(source="tool_name")
    displayName = serializers.CharField(source="display_name")
    description = serializers.CharField()
    inputSchema = serializers.DictField(source="input_schema")
    exampleInputs = serializers.ListField(source="example_inputs", child=serializers.JSONField())
    outputSchema = serializers.DictField(source="output_schema", allow_null=True)
    implementation = serializers.ChoiceField(choices=["builtin", "http"])
    builtinName = serializers.CharField(source="builtin_name")
    endpointUrl = serializers.CharField(source="endpoint_url")
    hasSigningSecret = serializers.SerializerMethodField()
    dependencies = serializers.ListField(child=serializers.JSONField())
    departments = serializers.SerializerMethodField()
    isGlobal = serializers.BooleanField(source="is_global")
    requiresAuth = serializers.BooleanField(source="requires_auth")
    rateLimitMaxCalls = serializers.IntegerField(source="rate_limit_max_calls", allow_null=True)
    rateLimitWindowMs = serializers.IntegerField(source="rate_limit_window_ms", allow_null=True)
    isActive = serializers.BooleanField(source="is_active")
    version = serializers.CharField()
    totalExecutions = serializers.IntegerField(source="total_executions")
    errorRate = serializers.FloatField(source="error_rate")
    averageExecutionTime = serializers.FloatField(source="average_execution_time")

    def get_hasSigningSecret(self, tool: Any) -> bool:
        return bool(tool.signing_secret)

    def get_departments(self, tool: Any) -> list[str]:
        return sorted(d.slug for d in tool.departments.all())


class _ToolFields(StrictIn):
    echoed = frozenset(ToolOut().fields)

    displayName = serializers.CharField(min_length=1, max_length=200)
    description = serializers.CharField(min_length=1, max_length=2000)
    inputSchema = serializers.DictField()
    exampleInputs = serializers.ListField(child=serializers.JSONField(), max_length=50)
    outputSchema = serializers.DictField(allow_null=True)
    implementation = serializers.ChoiceField(choices=["builtin", "http"])
    builtinName = serializers.CharField(max_length=64, allow_blank=True)
    endpointUrl = serializers.URLField(max_length=200, allow_blank=True)
    signingSecret = serializers.CharField(
        max_length=400, allow_blank=True, write_only=True, help_text="Never returned."
    )
    dependencies = serializers.ListField(child=serializers.CharField(max_length=200), max_length=50)
    departments = serializers.ListField(child=serializers.CharField(max_length=50), max_length=50)
    isGlobal = serializers.BooleanField()
    requiresAuth = serializers.BooleanField()
    rateLimitMaxCalls = serializers.IntegerField(min_value=1, max_value=1_000_000, allow_null=True)
    rateLimitWindowMs = serializers.IntegerField(min_value=1, max_value=86_400_000, allow_null=True)
    isActive = serializers.BooleanField()
    version = serializers.CharField(max_length=20)


class CreateToolIn(_ToolFields):
    toolName = serializers.RegexField(
        r"^[a-zA-Z][a-zA-Z0-9_-]{0,63}$",
        max_length=64,
        help_text="Start with a letter; letters, digits, _ or - (at most 64).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = name in {"toolName", "displayName", "description", "inputSchema"}


class UpdateToolIn(_ToolFields):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
