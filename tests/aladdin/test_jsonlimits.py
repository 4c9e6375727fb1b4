"""JSON from outside is measured before it is parsed: a clear error, never a 500."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings

from aladdin import jsonlimits
from aladdin.jsonlimits import BoundedJSONFormField, BoundedJSONParser, JSONTooComplex

BOMB = "[" * 200_000 + "]" * 200_000


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = '{"a": "[[[[[[[[", "b": ["\\"]]]]{{{{", {"c": 1}]}'
    assert jsonlimits.depth_of_text(text) == 3
    assert jsonlimits.loads(text, max_depth=3)["a"] == "[[[[[[[["


def test_too_deep_json_is_refused_before_parsing() -> None:
    with pytest.raises(JSONTooComplex, match="nested 200000 levels deep; at most 64"):
        jsonlimits.loads(BOMB)


def test_too_large_json_is_refused_before_parsing() -> None:
    with pytest.raises(JSONTooComplex, match="at most 100 are accepted"):
        jsonlimits.loads('"' + "x" * 200 + '"', max_bytes=100)


def test_the_depth_of_parsed_values_is_measured_without_recursion() -> None:
    value: list[object] = []
    for _ in range(100_000):
        value = [value]
    assert jsonlimits.depth_of(value) == 100_001
    assert jsonlimits.depth_of({"a": [1, {"b": 2}]}) == 3


def test_the_api_parses_json_bodies_with_the_limits() -> None:
    assert BoundedJSONParser in api_settings.DEFAULT_PARSER_CLASSES
    with pytest.raises(ParseError, match="nested 200000 levels deep"):
        BoundedJSONParser().parse(BytesIO(BOMB.encode()))
    assert BoundedJSONParser().parse(BytesIO(b'{"ok": [1, 2]}')) == {"ok": [1, 2]}


def test_the_form_field_shows_a_bomb_as_an_error_and_keeps_the_text() -> None:
    field = BoundedJSONFormField()
    with pytest.raises(ValidationError, match="levels deep"):
        field.clean(BOMB)
    assert str(field.bound_data(BOMB, None)) == BOMB
