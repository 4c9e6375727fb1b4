"""Validation of a CustomTool's definition: schemas, examples, implementation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

if TYPE_CHECKING:
    from agents.models import CustomTool


def schema_errors(schema: Any) -> list[str]:
    """Why `schema` is not a usable JSON Schema for a tool input (empty when it is)."""
    if not isinstance(schema, dict):
        return ["Enter a JSON object (a JSON Schema), not a list or a value."]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.path) or "the top level"
        return [f"Not a valid JSON Schema at {where}: {exc.message}"]
    return []


def instance_errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Messages for every way `instance` breaks `schema` (empty when valid)."""
    validator = Draft202012Validator(schema)
    messages = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.path)):
        where = "/".join(str(part) for part in error.path) or "(root)"
        messages.append(f"{where}: {error.message}")
    return messages


def validate_tool_definition(tool: CustomTool) -> None:
    from agents.tools.registry import builtin_tool_names

    errors: dict[str, list[str]] = {}
    input_problems = schema_errors(tool.input_schema)
    if not input_problems and tool.input_schema.get("type", "object") != "object":
        input_problems = ['A tool input schema must have "type": "object".']
    if input_problems:
        errors["input_schema"] = input_problems
    if tool.output_schema not in (None, {}):
        output_problems = schema_errors(tool.output_schema)
        if output_problems:
            errors["output_schema"] = output_problems
    example_problems = _example_problems(tool, bool(input_problems))
    if example_problems:
        errors["example_inputs"] = example_problems
    errors.update(_implementation_problems(tool, builtin_tool_names()))
    if (tool.rate_limit_max_calls is None) != (tool.rate_limit_window_ms is None):
        errors["rate_limit_window_ms"] = ["Set both the max calls and the window, or neither."]
    if errors:
        raise ValidationError(errors)


def _example_problems(tool: CustomTool, schema_is_broken: bool) -> list[str]:
    if not isinstance(tool.example_inputs, list):
        return ["Enter a JSON list of example inputs."]
    if schema_is_broken:
        return []
    problems = []
    for index, example in enumerate(tool.example_inputs, start=1):
        for message in instance_errors(tool.input_schema, example):
            problems.append(f"Example {index} does not match the input schema: {message}")
    return problems


def _implementation_problems(tool: CustomTool, builtins: list[str]) -> dict[str, list[str]]:
    if tool.implementation == "builtin":
        if tool.builtin_name not in builtins:
            choices = ", ".join(builtins)
            return {"builtin_name": [f"Choose one of the built-in tools: {choices}."]}
    elif tool.implementation == "http" and not tool.endpoint_url:
        return {"endpoint_url": ["An HTTP tool needs the URL to POST to."]}
    return {}
