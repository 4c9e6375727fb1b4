"""A tool's input schema must be a JSON Schema and its examples must satisfy it."""

from __future__ import annotations

import http.server
import threading

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from agents.models import CustomTool
from agents.tool_validation import instance_errors
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


# --- untrusted schemas: references, patterns, size ---------------------------------------


def test_a_reference_to_a_local_file_is_refused_and_not_read() -> None:
    schema = {"type": "object", "properties": {"x": {"$ref": "file:///etc/passwd"}}}
    errors = errors_of(make_tool(input_schema=schema))
    assert "does not point inside this schema" in errors["input_schema"][0]
    assert "root:" not in str(errors)  # nothing of the file leaks into the message


def test_a_reference_to_a_url_is_refused_and_not_fetched(
    egress_allows_loopback: None,
) -> None:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"type": "string"}')

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/schema.json"
        schema = {"type": "object", "properties": {"x": {"$ref": url}}}
        errors = errors_of(make_tool(input_schema=schema, example_inputs=[{"x": 1}]))
    finally:
        server.shutdown()
    assert "references to other documents or URLs are not followed" in errors["input_schema"][0]
    assert hits == []


def test_references_inside_the_schema_work() -> None:
    schema = {
        "type": "object",
        "$defs": {"name": {"type": "string", "minLength": 2}},
        "properties": {"name": {"$ref": "#/$defs/name"}},
    }
    errors = errors_of(make_tool(input_schema=schema, example_inputs=[{"name": "x"}]))
    assert "is too short" in errors["example_inputs"][0]


def test_a_catastrophic_pattern_is_evaluated_in_linear_time() -> None:
    # ^(a+)+$ against "aaaa...b" backtracks for minutes in Python's re; RE2 does not.
    schema = {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a+)+$"}}}
    errors = errors_of(make_tool(input_schema=schema, example_inputs=[{"s": "a" * 5000 + "b"}]))
    assert "does not match '^(a+)+$'" in errors["example_inputs"][0]


def test_pattern_properties_run_on_the_same_engine() -> None:
    schema = {
        "type": "object",
        "patternProperties": {"^(a+)+$": {"type": "integer"}},
        "additionalProperties": False,
    }
    tool = make_tool(input_schema=schema, example_inputs=[{"a" * 3000 + "b": 1}, {"aaa": "x"}])
    messages = " ".join(errors_of(tool)["example_inputs"])
    assert "do not match any of the regexes" in messages
    assert "'x' is not of type 'integer'" in messages


def test_a_pattern_the_engine_cannot_run_is_refused_with_the_reason() -> None:
    schema = {"type": "object", "properties": {"s": {"type": "string", "pattern": "(a)\\1"}}}
    errors = errors_of(make_tool(input_schema=schema))
    assert "no backreferences or lookaround" in errors["input_schema"][0]


def test_a_deeply_nested_schema_is_refused() -> None:
    schema: dict[str, object] = {"type": "object"}
    for _ in range(40):
        schema = {"type": "object", "properties": {"x": schema}}
    errors = errors_of(make_tool(input_schema=schema))
    assert "levels deep" in errors["input_schema"][0]


def fan_out_schema() -> dict[str, object]:
    """Each definition refers to the next one twice: 2**30 evaluations if unbounded."""
    defs: dict[str, object] = {"d30": {"type": "integer"}}
    for level in range(29, -1, -1):
        ref = {"$ref": f"#/$defs/d{level + 1}"}
        defs[f"d{level}"] = {"allOf": [ref, ref]}
    return {"type": "object", "$defs": defs, "properties": {"x": {"$ref": "#/$defs/d0"}}}


def test_a_reference_fan_out_is_refused_on_save() -> None:
    errors = errors_of(make_tool(input_schema=fan_out_schema()))
    assert "more than 10000 subschemas" in errors["input_schema"][0]


def test_a_reference_fan_out_stored_before_is_stopped_by_the_step_budget() -> None:
    assert instance_errors(fan_out_schema(), {"x": 1}) == [
        "(root): checking this took more than 50000 steps; simplify the schema."
    ]


def test_recursive_schemas_are_fine() -> None:
    tree = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#"}},
        },
    }
    example = {"name": "a", "children": [{"name": "b", "children": [{"name": 3}]}]}
    errors = errors_of(make_tool(input_schema=tree, example_inputs=[example]))
    assert list(errors) == ["example_inputs"]
    assert "children/0/children/0/name: 3 is not of type 'string'" in errors["example_inputs"][0]


def test_http_tool_urls_aimed_inside_the_server_are_refused() -> None:
    for url in ("http://127.0.0.1:8000/x", "http://[::1]/x", "http://169.254.169.254/"):
        errors = errors_of(make_tool(implementation="http", builtin_name="", endpoint_url=url))
        assert "Refused:" in errors["endpoint_url"][0], url


def test_admin_refuses_a_loopback_tool_url_with_a_form_error(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/agents/customtool/add/",
        {
            "tool_name": "partner",
            "display_name": "Partner",
            "description": "Calls a partner.",
            "input_schema": '{"type": "object"}',
            "example_inputs": "[]",
            "output_schema": "null",
            "implementation": "http",
            "endpoint_url": "http://localhost:6379/",
            "dependencies": "[]",
            "version": "1.0.0",
        },
    )
    assert response.status_code == 200
    assert "a loopback address" in response.content.decode()
    assert not CustomTool.objects.filter(tool_name="partner").exists()


def test_admin_refuses_a_json_bomb_with_a_form_error(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/agents/customtool/add/",
        {
            "tool_name": "lookup",
            "display_name": "Lookup",
            "description": "Looks up.",
            "input_schema": "[" * 100_000 + "]" * 100_000,
            "example_inputs": "[]",
            "output_schema": "null",
            "implementation": "builtin",
            "builtin_name": "search_brain",
            "dependencies": "[]",
            "version": "1.0.0",
        },
    )
    assert response.status_code == 200
    assert "nested 100000 levels deep; at most 64" in response.content.decode()
