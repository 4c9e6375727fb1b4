"""Validation of a CustomTool's definition: schemas, examples, implementation.

Tool schemas are typed in by staff and applied to what models and partners
send, so evaluating them must stay bounded:
- `$ref` resolves only inside the schema (and the bundled JSON Schema
  metaschemas): nothing is fetched, no file is read;
- `pattern` and `patternProperties` run on RE2, which has no backtracking, so
  `^(a+)+$` costs linear time; patterns RE2 cannot run are refused on save;
- a schema is limited in size and depth, and each validation in steps, so a
  `$ref` fan-out cannot take minutes.
"""

from __future__ import annotations

import contextvars
import functools
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import re2
from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaViolation
from jsonschema_specifications import REGISTRY as SPECIFICATIONS
from referencing import Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from aladdin import jsonlimits
from aladdin.egress import EgressRefused, check_url

if TYPE_CHECKING:
    from agents.models import CustomTool

MAX_SCHEMA_BYTES = 64 * 1024
MAX_SCHEMA_DEPTH = 32
MAX_STEPS = 50_000
MAX_UNFOLDED = 10_000
# Keywords whose values are data, not subschemas: a "$ref" inside them is not a reference.
DATA_KEYWORDS = frozenset({"const", "enum", "examples", "default"})

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_steps_left: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "tool_schema_steps", default=None
)


class SchemaTooExpensive(Exception):
    """Validation needed more steps than allowed."""


@functools.lru_cache(maxsize=512)
def _regex(pattern: str) -> Any:
    return re2.compile(pattern, options=_RE2_OPTIONS)


def pattern_problem(pattern: str) -> str | None:
    try:
        _regex(pattern)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        return (
            f"The pattern {pattern!r} cannot be used ({detail}). Patterns run on RE2: "
            "no backreferences or lookaround."
        )
    return None


def _matches(pattern: str, text: str) -> bool:
    return _regex(pattern).search(text) is not None


def _spend() -> None:
    left = _steps_left.get()
    if left is not None:
        left[0] -= 1
        if left[0] < 0:
            raise SchemaTooExpensive


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _matches(pattern, instance):
        yield SchemaViolation(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if _matches(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


_BASE = Draft202012Validator.VALIDATORS


def _additional_properties(validator: Any, extra: Any, instance: Any, schema: Any) -> Any:
    patterns = schema.get("patternProperties")
    if not patterns or not validator.is_type(instance, "object"):
        return _BASE["additionalProperties"](validator, extra, instance, schema)
    known = schema.get("properties", {})
    extras = [
        key
        for key in instance
        if key not in known and not any(_matches(pattern, key) for pattern in patterns)
    ]
    return _extra_errors(validator, extra, instance, extras, patterns)


def _extra_errors(
    validator: Any, extra: Any, instance: Any, extras: list[str], patterns: Any
) -> Iterator[Any]:
    if validator.is_type(extra, "object"):
        for key in extras:
            yield from validator.descend(instance[key], extra, path=key)
    elif not extra and extras:
        names = ", ".join(repr(key) for key in sorted(extras))
        regexes = ", ".join(repr(pattern) for pattern in sorted(patterns))
        yield SchemaViolation(f"{names} do not match any of the regexes: {regexes}")


def _counted(keyword: Any) -> Any:
    def run(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        _spend()
        return keyword(validator, value, instance, schema)

    return run


_OVERRIDES = {
    "pattern": _pattern,
    "patternProperties": _pattern_properties,
    "additionalProperties": _additional_properties,
}
ToolSchemaValidator = validators.extend(
    Draft202012Validator,
    {name: _counted(_OVERRIDES.get(name, keyword)) for name, keyword in _BASE.items()},
)


def _walk(schema: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    """Every subschema with the resolver for its base URI, without recursion."""
    root = DRAFT202012.create_resource(schema)
    stack = [(schema, SPECIFICATIONS.resolver_with_root(root))]
    while stack:
        node, resolver = stack.pop()
        if isinstance(node, list):
            stack.extend((item, resolver) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("$id"), str):
            resolver = resolver.in_subresource(Resource.from_contents(node, DRAFT202012))
        yield node, resolver
        stack.extend((child, resolver) for key, child in node.items() if key not in DATA_KEYWORDS)


def unfolded_size(schema: dict[str, Any]) -> int:
    """Subschemas validation may visit with local $refs expanded (each cycle once), capped.

    A chain of definitions that each refer to the next twice is small as text and
    exponential when validated; this finds it on save, before any call.
    """
    resolver = SPECIFICATIONS.resolver_with_root(DRAFT202012.create_resource(schema))
    count, stack = 0, [(schema, frozenset[str]())]
    while stack and count <= MAX_UNFOLDED:
        node, followed = stack.pop()
        if isinstance(node, list):
            stack.extend((item, followed) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        count += 1
        reference = node.get("$ref")
        if isinstance(reference, str) and reference not in followed:
            try:
                target = resolver.lookup(reference).contents
            except Unresolvable:
                target = None  # reported by _keyword_problems
            stack.append((target, followed | {reference}))
        stack.extend((child, followed) for key, child in node.items() if key not in DATA_KEYWORDS)
    return count


def _keyword_problems(schema: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    keywords: set[str] = set()
    for node, resolver in _walk(schema):
        keywords.update(node)
        for key in ("$ref", "$dynamicRef"):
            reference = node.get(key)
            if isinstance(reference, str):
                try:
                    resolver.lookup(reference)
                except Unresolvable:
                    problems.append(
                        f"{key} {reference!r} does not point inside this schema; "
                        "references to other documents or URLs are not followed."
                    )
        patterns = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        if isinstance(node.get("patternProperties"), dict):
            patterns.extend(node["patternProperties"])
        problems.extend(p for p in map(pattern_problem, patterns) if p)
    if {"unevaluatedProperties", "patternProperties"} <= keywords:
        problems.append("unevaluatedProperties cannot be combined with patternProperties here.")
    if unfolded_size(schema) > MAX_UNFOLDED:
        problems.append(
            f"With its $ref expanded the schema has more than {MAX_UNFOLDED} subschemas; "
            "refer to shared definitions fewer times."
        )
    return problems


def _size_problems(schema: Any) -> list[str]:
    size = len(json.dumps(schema))
    if size > MAX_SCHEMA_BYTES:
        return [f"The schema is {size} bytes; at most {MAX_SCHEMA_BYTES} are accepted."]
    depth = jsonlimits.depth_of(schema)
    if depth > MAX_SCHEMA_DEPTH:
        return [f"The schema is nested {depth} levels deep; at most {MAX_SCHEMA_DEPTH}."]
    return []


def schema_errors(schema: Any) -> list[str]:
    """Why `schema` is not a usable JSON Schema for a tool (empty when it is)."""
    if not isinstance(schema, dict):
        return ["Enter a JSON object (a JSON Schema), not a list or a value."]
    problems = _size_problems(schema)
    if problems:
        return problems
    try:
        ToolSchemaValidator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(part) for part in exc.path) or "the top level"
        return [f"Not a valid JSON Schema at {where}: {exc.message}"]
    except RecursionError:
        return ["The schema is nested too deeply to check."]
    return _keyword_problems(schema)


def instance_errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Messages for every way `instance` breaks `schema` (empty when valid)."""
    validator = ToolSchemaValidator(schema, registry=SPECIFICATIONS)
    token = _steps_left.set([MAX_STEPS])
    try:
        errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.path])
    except SchemaTooExpensive:
        return [f"(root): checking this took more than {MAX_STEPS} steps; simplify the schema."]
    except RecursionError:
        return ["(root): the schema or the value is nested too deeply to check."]
    except Unresolvable as exc:
        return [f"(root): the schema has a reference that cannot be followed ({exc})."]
    except re2.error:
        return ["(root): the schema has a pattern RE2 cannot run; fix the tool's schema."]
    finally:
        _steps_left.reset(token)
    messages = []
    for error in errors:
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
    output_problems: list[str] = []
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
    elif tool.implementation == "http":
        if not tool.endpoint_url:
            return {"endpoint_url": ["An HTTP tool needs the URL to POST to."]}
        try:
            check_url(tool.endpoint_url)
        except EgressRefused as exc:
            return {"endpoint_url": [str(exc)]}
    return {}
