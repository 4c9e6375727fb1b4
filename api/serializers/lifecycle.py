"""Shapes of the run lifecycle endpoints: retry, resume, approve, reject."""

from __future__ import annotations

from rest_framework import serializers

from api.serializers.common import StrictIn


class AttemptOut(serializers.Serializer):
    executionId = serializers.UUIDField()
    status = serializers.CharField(help_text="pending: the new attempt is queued.")
    attempt = serializers.IntegerField(help_text="1 for the first run, then one per retry.")
    statusUrl = serializers.CharField()


class ApproveIn(StrictIn):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    entities = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        allow_empty=False,
        help_text="Indices of the entities to store (from pendingEntities); all if absent.",
    )


class RejectIn(StrictIn):
    comment = serializers.CharField(max_length=5000, help_text="Why the results are rejected.")


class DecisionOut(serializers.Serializer):
    executionId = serializers.UUIDField()
    status = serializers.CharField()
    decision = serializers.ChoiceField(choices=["approved", "rejected"])
    by = serializers.CharField()
    at = serializers.DateTimeField()
    comment = serializers.CharField(allow_blank=True)
    approvedEntities = serializers.ListField(child=serializers.IntegerField())
    rejectedEntities = serializers.ListField(child=serializers.IntegerField())
    entitiesStored = serializers.IntegerField()
