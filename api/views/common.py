"""Small helpers every view uses."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers
from rest_framework.request import Request

from aladdin.validators import is_uuid
from api.serializers.common import ErrorOut


def valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """The validated data, or a 400 with field errors (raised for the exception handler)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def query(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    return valid(serializer_class, request.query_params)


def uuid_or_400(value: str, field: str = "executionId") -> str:
    if not is_uuid(value):
        raise serializers.ValidationError({field: ["Must be a UUID."]})
    return value


def author(request: Request) -> str:
    return str(request.user.get_username()) if request.user.is_authenticated else ""


def error(description: str, example: str, **extra: Any) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorOut,
        description=description,
        examples=[OpenApiExample(description, value={"error": example, **extra})],
    )


E400 = error(
    "Invalid input",
    "The request is invalid: userPrompt: Write what you want the team to do; the request is empty.",
    fields={"userPrompt": ["Write what you want the team to do; the request is empty."]},
)
E401 = error("Not authenticated", "Authentication credentials were not provided.")
E403 = error(
    "Missing permission",
    "You need the 'agent:execute' permission on project 'the-lantern-keepers'.",
    permission="agent:execute",
)
E404 = error("Not found", "Not found.")
E429 = error("Too many runs", "Too many runs started; try again in 42 s (at most 10/min per user).")
E415 = error("Not JSON", 'Unsupported media type "text/plain" in request.')
READ_ERRORS = {401: E401, 403: E403, 404: E404}
WRITE_ERRORS = {400: E400, 401: E401, 403: E403, 404: E404, 415: E415}
