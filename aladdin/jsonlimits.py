"""JSON from outside, parsed only within limits.

Python's json module recurses once per nesting level: `[[[[...]]]]` a hundred
thousand deep raises RecursionError (a 500 wherever only JSONDecodeError is
caught), and a large document costs memory and CPU before anyone looks at it.
Every JSON text that users, models or partners send (admin JSON fields, API
and console bodies, tool arguments and tool answers) is measured first: size,
then nesting depth, with a scan that does not recurse.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64

# A JSON string, written without nested quantifiers so matching stays linear.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JSONTooComplex(ValueError):
    """The text is larger or deeper than allowed; the message says which limit."""


def depth_of_text(text: str) -> int:
    """The deepest nesting of arrays and objects in a JSON text, without parsing it."""
    if text.count("[") + text.count("{") <= 1:
        return text.count("[") + text.count("{")
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def depth_of(value: Any) -> int:
    """The deepest nesting of lists and dicts in a parsed value, iteratively."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


def check_text(text: str | bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> str:
    """The text as str once it is within the limits; JSONTooComplex otherwise."""
    size = len(text if isinstance(text, bytes) else text.encode())
    if size > max_bytes:
        raise JSONTooComplex(f"The JSON is {size} bytes; at most {max_bytes} are accepted.")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONTooComplex(f"The JSON is not UTF-8 text ({exc.reason}).") from exc
    depth = depth_of_text(text)
    if depth > max_depth:
        raise JSONTooComplex(
            f"The JSON is nested {depth} levels deep; at most {max_depth} are accepted."
        )
    return text


def loads(text: str | bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads within limits. Raises ValueError (JSONDecodeError or JSONTooComplex)."""
    checked = check_text(text, max_bytes=max_bytes, max_depth=max_depth)
    try:
        return json.loads(checked)
    except RecursionError as exc:  # the scan should have caught it; never a 500
        raise JSONTooComplex("The JSON is nested too deeply to read.") from exc


class BoundedJSONFormField(forms.JSONField):
    """The admin's JSON field, refusing oversized or deeply nested input as a form error."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and not self.disabled:
            try:
                check_text(value)
            except JSONTooComplex as exc:
                raise ValidationError(str(exc), code="invalid") from exc
        return super().to_python(value)

    def bound_data(self, data: Any, initial: Any) -> Any:
        # Redisplaying a refused value parses it again; keep it as text instead.
        if isinstance(data, str):
            try:
                check_text(data)
            except JSONTooComplex:
                return forms.fields.InvalidJSONInput(data)
        return super().bound_data(data, initial)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the same limits: a 400, never a 500 or minutes of CPU."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read(MAX_BYTES + 1) if stream is not None else b""
        try:
            return loads(raw)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
