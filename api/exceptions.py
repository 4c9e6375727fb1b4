"""One place that turns domain errors into HTTP answers.

Every error body is `{"error": "<one readable line>"}`, plus `fields` (field ->
reasons, named as the API spells them) for invalid input and `permission` for
a 403. Nothing here answers 5xx: an unexpected exception still reaches Django.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from api.naming import camel
from brain.access import AccessDenied
from executions.requests import RequestInvalid


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestInvalid):
        return _invalid(exc.errors)
    if isinstance(exc, DjangoValidationError):
        return _invalid(_django_errors(exc))
    if isinstance(exc, AccessDenied):
        body = {"error": str(exc.args[0]), "permission": exc.permission}
        return Response(body, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ObjectDoesNotExist | Http404):
        return Response({"error": _not_found(exc)}, status=status.HTTP_404_NOT_FOUND)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return _invalid(_flatten(exc.detail))
    elif isinstance(exc, exceptions.Throttled):
        response.data = {
            "error": "Too many runs started; try again in "
            f"{int(getattr(exc, 'wait', 0) or 0) + 1} s (at most {_rate()} per user)."
        }
    elif isinstance(exc, exceptions.APIException):
        response.data = {"error": _first_message(exc.detail)}
    return response


def _invalid(errors: dict[str, list[str]]) -> Response:
    summary = "; ".join(f"{field}: {' '.join(why)}" for field, why in errors.items())
    return Response(
        {"error": f"The request is invalid: {summary}", "fields": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )


def _django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("nonFieldErrors" if field == "__all__" else camel(field)): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {"nonFieldErrors": [str(message) for message in exc.messages]}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field -> reasons, one level deep: nested errors get dotted names ("skills.0")."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "nonFieldErrors" if key == "non_field_errors" else str(key)
            flat.update(_flatten(value, f"{prefix}.{name}" if prefix else name))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "nonFieldErrors": [str(message) for message in messages]}


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        return _first_message(next(iter(detail.values()), ""))
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ""
    return str(detail)


def _not_found(exc: Exception) -> str:
    message = str(exc)
    return message if message and "matches the given query" not in message else "Not found."


def _rate() -> str:
    from django.conf import settings

    return str(settings.ALADDIN_EXECUTION_RATE)
