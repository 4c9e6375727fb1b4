"""Projects with their episodes, scenes and characters; departments."""

from __future__ import annotations

from rest_framework import serializers


class SceneOut(serializers.Serializer):
    id = serializers.UUIDField(source="uid")
    sceneNumber = serializers.IntegerField(source="scene_number")
    title = serializers.CharField()
    location = serializers.CharField()
    summary = serializers.CharField()


class EpisodeOut(serializers.Serializer):
    id = serializers.UUIDField(source="uid")
    episodeNumber = serializers.IntegerField(source="episode_number")
    title = serializers.CharField()
    synopsis = serializers.CharField()
    scenes = SceneOut(many=True)


class CharacterOut(serializers.Serializer):
    id = serializers.UUIDField(source="uid")
    name = serializers.CharField()
    role = serializers.CharField()
    description = serializers.CharField()
    traits = serializers.ListField(child=serializers.JSONField())


class ProjectOut(serializers.Serializer):
    id = serializers.UUIDField(source="uid")
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    genre = serializers.CharField()
    logline = serializers.CharField()
    isActive = serializers.BooleanField(source="is_active")
    role = serializers.CharField(
        allow_null=True, help_text="Your role on the project; null for superusers without one."
    )
    hasProviderKey = serializers.SerializerMethodField(
        help_text="Whether the project has its own provider API key (the key is never shown)."
    )
    episodes = EpisodeOut(many=True)
    characters = CharacterOut(many=True)

    def get_hasProviderKey(self, project: object) -> bool:
        return bool(getattr(project, "llm_api_key", ""))


class DepartmentOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    icon = serializers.CharField()
    color = serializers.CharField()
    priority = serializers.IntegerField()
    isActive = serializers.BooleanField(source="is_active")
    defaultModel = serializers.CharField(source="default_model")
    headAgentId = serializers.CharField(allow_null=True)
    agentIds = serializers.ListField(child=serializers.CharField())
    totalExecutions = serializers.IntegerField(source="total_executions")
    successRate = serializers.FloatField(source="success_rate")
    averageExecutionTime = serializers.FloatField(source="average_execution_time")
