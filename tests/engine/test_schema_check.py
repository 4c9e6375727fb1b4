"""A reply's schema check: valid replies pass, an invalid one is explained in
jsonschema's words (where, then what), and formats are not asserted."""

from __future__ import annotations

from typing import Any

import pytest

from engine.schema_check import first_schema_error

CHARACTER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "traits": {"type": "array", "items": {"type": "string"}},
        "age": {"type": "integer", "minimum": 0},
        "email": {"type": "string", "format": "email"},
    },
    "required": ["name"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    "value",
    [
        {"name": "Mara"},
        {"name": "Mara", "traits": ["stubborn", "kind"], "age": 41},
        {"name": "Mara", "email": "not an address"},  # formats are annotations only
    ],
)
def test_a_reply_that_matches_its_schema_has_no_error(value: dict[str, Any]) -> None:
    assert first_schema_error(CHARACTER, value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({}, "(root): 'name' is a required property"),
        ({"name": "Mara", "traits": ["ok", 3]}, "traits/1: 3 is not of type 'string'"),
        ({"name": "Mara", "age": -1}, "age: -1 is less than the minimum of 0"),
        ({"name": "Mara", "mood": "dark"}, "(root): Additional properties are not allowed"),
    ],
)
def test_an_invalid_reply_is_explained_where_and_what(value: dict[str, Any], expected: str) -> None:
    problem = first_schema_error(CHARACTER, value)
    assert problem is not None and problem.startswith(expected)


def test_a_schema_the_fast_validator_rejects_is_still_checked() -> None:
    # An invalid pattern fails jsonschema-rs's compile; jsonschema still checks the rest.
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    odd = {**schema, "properties": {"n": {"type": "integer"}, "s": {"pattern": "(?<=a"}}}
    assert first_schema_error(odd, {"n": 1}) is None
    assert first_schema_error(odd, {"n": "one"}) == "n: 'one' is not of type 'integer'"
