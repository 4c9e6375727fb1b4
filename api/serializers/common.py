"""Shapes shared by several endpoints: errors, paging, id formats."""

from __future__ import annotations

import difflib
import re
from typing import Any

from rest_framework import serializers

from aladdin.validators import is_uuid

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
DEFAULT_LIMIT, MAX_LIMIT = 50, 500


class ErrorOut(serializers.Serializer):
    error = serializers.CharField(help_text="One readable line.")
    # The metaclass moves declared fields off the class, so this does not hide `.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field (as the API spells it) -> reasons, for invalid input.",
    )
    permission = serializers.CharField(
        required=False, help_text="For a 403: the permission you lack, e.g. agent:configure."
    )


class StrictIn(serializers.Serializer):
    """A request body whose unknown fields are refused, not dropped: a misspelt
    `department` on a cancel would cancel the whole run, a budget sent beside the prompt
    instead of in `options` would be ignored without a word. `echoed` names fields of
    the resource's own representation (read-only ones), which a client may send back
    as it got them; they are ignored. `hint` says where a misplaced field goes."""

    echoed: frozenset[str] = frozenset()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.initial_data) - set(self.fields) - self.echoed)
        if unknown:
            raise serializers.ValidationError({name: [self._unknown(name)] for name in unknown})
        return super().validate(attrs)

    def hint(self, name: str) -> str | None:
        return None

    def _unknown(self, name: str) -> str:
        hint = self.hint(name)
        if hint:
            return hint
        close = difflib.get_close_matches(name, list(self.fields), n=1)
        if close:
            return f"Unknown field; did you mean {close[0]}?"
        return f"Unknown field. The fields are {', '.join(self.fields)}."


class PageIn(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)
    offset = serializers.IntegerField(min_value=0, max_value=10_000_000, default=0)


class ProjectRefField(serializers.CharField):
    """A project's id (UUID) or its slug."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 80)
        kwargs.setdefault("help_text", "The project's id (a UUID) or its slug.")
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not SLUG.match(value) and not is_uuid(value):
            raise serializers.ValidationError("Must be a project id (UUID) or slug.")
        return value


class AgentIdField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("min_length", 1)
        kwargs.setdefault("help_text", 'An agent id, e.g. "story-head-001".')
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not SLUG.match(value):
            raise serializers.ValidationError("Use letters, digits, - or _ only.")
        return value


def page_of(results: Any, count: int, limit: int, offset: int) -> dict[str, Any]:
    return {"count": count, "limit": limit, "offset": offset, "results": results}


def page_serializer(name: str, item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "limit": serializers.IntegerField(),
            "offset": serializers.IntegerField(),
            "results": item(many=True),
        },
    )


class TokenUsageOut(serializers.Serializer):
    input = serializers.IntegerField()
    output = serializers.IntegerField()
    total = serializers.IntegerField()
