"""A tool's input schema must be a JSON Schema and its examples must satisfy it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from agents.models import CustomTool
from tests import factories

pytestmark = pytest.mark.django_db

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name"],
}


def make_tool(**fields: object) -> CustomTool:
    values: dict[str, object] = {
        "tool_name": "lookup",
        "display_name": "Lookup",
        "description": "Looks up.",
        "input_schema": SCHEMA,
        "builtin_name": "search_brain",
    }
    values.update(fields)
    return CustomTool(**values)


def errors_of(tool: CustomTool) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        tool.full_clean()
    return caught.value.message_dict


def test_valid_tool_passes_full_clean() -> None:
    make_tool(example_inputs=[{"name": "Mara", "age": 30}]).full_clean()


def test_schema_that_is_not_a_json_schema_is_refused() -> None:
    errors = errors_of(make_tool(input_schema={"type": "banana"}))
    assert "Not a valid JSON Schema" in errors["input_schema"][0]


def test_schema_must_describe_an_object() -> None:
    errors = errors_of(make_tool(input_schema={"type": "string"}))
    assert 'must have "type": "object"' in errors["input_schema"][0]


def test_schema_that_is_a_list_is_refused() -> None:
    errors = errors_of(make_tool(input_schema=[1, 2]))
    assert "JSON object" in errors["input_schema"][0]


def test_example_inputs_must_match_the_schema() -> None:
    errors = errors_of(make_tool(example_inputs=[{"name": "ok"}, {"age": -1}]))
    messages = " ".join(errors["example_inputs"])
    assert "Example 2" in messages
    assert "'name' is a required property" in messages
    assert "Example 1" not in messages


def test_output_schema_is_checked_too() -> None:
    errors = errors_of(make_tool(output_schema={"type": 12}))
    assert "output_schema" in errors


def test_builtin_name_must_be_a_registered_tool() -> None:
    errors = errors_of(make_tool(builtin_name="rm_rf"))
    assert "Choose one of the built-in tools" in errors["builtin_name"][0]


def test_http_tool_needs_an_endpoint() -> None:
    errors = errors_of(make_tool(implementation="http", builtin_name=""))
    assert "endpoint_url" in errors


def test_rate_limit_needs_both_numbers() -> None:
    errors = errors_of(make_tool(rate_limit_max_calls=5))
    assert "rate_limit_window_ms" in errors


def test_admin_shows_schema_errors_as_form_errors(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/agents/customtool/add/",
        {
            "tool_name": "lookup",
            "display_name": "Lookup",
            "description": "Looks up.",
            "input_schema": '{"type": "object", "properties": {"n": {"type": "integer"}}}',
            "example_inputs": '[{"n": "not a number"}]',
            "output_schema": "null",
            "implementation": "builtin",
            "builtin_name": "search_brain",
            "dependencies": "[]",
            "version": "1.0.0",
        },
    )
    assert response.status_code == 200
    assert "does not match the input schema" in response.content.decode()
    assert not CustomTool.objects.filter(tool_name="lookup").exists()


def test_admin_saves_a_valid_tool(admin_client: Client) -> None:
    department = factories.department()
    response = admin_client.post(
        "/admin/agents/customtool/add/",
        {
            "tool_name": "lookup",
            "display_name": "Lookup",
            "description": "Looks up.",
            "input_schema": '{"type": "object", "properties": {"n": {"type": "integer"}}}',
            "example_inputs": '[{"n": 3}]',
            "output_schema": "null",
            "implementation": "builtin",
            "builtin_name": "search_brain",
            "dependencies": "[]",
            "version": "1.0.0",
            "departments": [department.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    tool = CustomTool.objects.get(tool_name="lookup")
    assert tool.created_by is not None
    assert list(tool.departments.all()) == [department]
