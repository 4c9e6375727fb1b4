"""Spec 11.1 PerformanceAnalyticsQuery / PerformanceAnalyticsResponse."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import ProjectRefField
from executions.analytics import TIMEFRAMES


class PerformanceQuery(serializers.Serializer):
    projectId = ProjectRefField(required=False)
    department = serializers.RegexField(r"^[-a-zA-Z0-9_]+$", max_length=50, required=False)
    timeframe = serializers.ChoiceField(choices=list(TIMEFRAMES))


class DepartmentPerformanceOut(serializers.Serializer):
    executions = serializers.IntegerField()
    avgTime = serializers.FloatField(help_text="Milliseconds.")
    avgQuality = serializers.FloatField(help_text="0..100; 0 when no run was scored.")


class PerformanceOut(serializers.Serializer):
    avgExecutionTime = serializers.FloatField(help_text="Milliseconds.")
    avgQualityScore = serializers.FloatField(help_text="0..100")
    totalExecutions = serializers.IntegerField()
    successRate = serializers.FloatField(help_text="Percentage of finished runs that completed.")
    totalTokensUsed = serializers.IntegerField()
    estimatedCost = serializers.FloatField(help_text="USD, runs with a known price.")
    byDepartment = serializers.DictField(child=DepartmentPerformanceOut())
