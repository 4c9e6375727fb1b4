"""Build a small, readable instance that validates against a JSON Schema.

Used by the built-in demo LLM provider and by the fake LLM server in tests: both must
answer structured-output requests with *valid* JSON without calling a real model.

Design choices:
- Every declared property is filled (not only the required ones) so demo output shows
  the whole shape of the data, and OpenAI "strict" schemas (all required) just work.
- Strings are placeholders that name the field, e.g. ``"[demo] summary"``, so a person
  reading a demo run can tell which field produced which text.
- Bounded numbers sit at 85 % of their range (0..100 gives 85), so quality judges in
  demo mode "accept" instead of bouncing work back forever.
- Everything is best effort and stdlib only: unsupported keywords are ignored rather
  than raising, because a slightly-off demo reply beats a crash.
"""

from __future__ import annotations

import copy
import importlib
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote

__all__ = ["sample_from_schema"]

# Beyond this nesting depth we only build what is required, so recursive schemas
# (trees, linked lists) terminate instead of recursing forever.
_MAX_DEPTH = 12
# Guards against "$ref" cycles that never reach a concrete schema ({"$ref": "#"}).
_MAX_REF_HOPS = 32
# Fraction of a bounded numeric range to aim for: high enough to "pass" a judge.
_RANGE_FRACTION = 0.85
# Variants tried per item before a uniqueItems array settles for being shorter.
_MAX_UNIQUE_TRIES = 16

_FORMAT_SAMPLES: Mapping[str, str] = {
    "date-time": "2024-01-01T12:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00Z",
    "duration": "PT1H",
    "email": "demo@example.com",
    "idn-email": "demo@example.com",
    "hostname": "example.com",
    "idn-hostname": "example.com",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "uri": "https://example.com/demo",
    "uri-reference": "https://example.com/demo",
    "iri": "https://example.com/demo",
    "iri-reference": "https://example.com/demo",
    "url": "https://example.com/demo",
    "uri-template": "https://example.com/{id}",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "json-pointer": "/demo",
    "relative-json-pointer": "0",
    "regex": ".*",
}
_FILLER = " lorem ipsum dolor sit amet"
_MIN_KEYWORDS = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
_MAX_KEYWORDS = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")


def sample_from_schema(schema: Mapping[str, Any] | bool, *, label: str = "demo") -> Any:
    """Return a minimal JSON-compatible value that validates against ``schema``.

    ``label`` is embedded in every generated string (``"[label] field"``) so callers
    can tell sample data apart from real model output.
    """
    sampler = _Sampler(root=schema, label=label)
    return sampler.sample(schema, _Context(name="value"))


@dataclass(frozen=True)
class _Context:
    """Where in the instance we are: drives placeholder text and recursion limits."""

    name: str
    index: int = 0
    # Non-zero only while retrying an item of a uniqueItems array: asks enums, numbers
    # and booleans for their next-best value. Otherwise they keep their preferred one
    # (e.g. "accept", 85, true) so demo judges keep passing.
    variant: int = 0
    depth: int = 0
    # "$ref" targets expanded on the way here; meeting one again means recursion.
    refs: frozenset[str] = frozenset()
    recursive: bool = False

    def child(
        self, name: str | None = None, index: int | None = None, variant: int | None = None
    ) -> _Context:
        # Index and variant are inherited so fields inside the 2nd array item read
        # "... 2", which keeps object items distinct when uniqueItems is set.
        return replace(
            self,
            name=self.name if name is None else name,
            index=self.index if index is None else index,
            variant=self.variant if variant is None else variant,
            depth=self.depth + 1,
        )

    def entering(self, refs: list[str]) -> _Context:
        if not refs:
            return self
        recursive = self.recursive or any(ref in self.refs for ref in refs)
        return replace(self, refs=self.refs | set(refs), recursive=recursive)

    @property
    def minimal(self) -> bool:
        # Recursive schemas get one full expansion, then only what is required.
        return self.recursive or self.depth > _MAX_DEPTH


@dataclass(frozen=True)
class _Sampler:
    root: Mapping[str, Any] | bool
    label: str

    # ----------------------------------------------------------------- dispatch
    def sample(self, schema: Any, ctx: _Context) -> Any:
        if schema is False:
            return None  # Nothing validates against False; null is the least-bad answer.
        if not isinstance(schema, Mapping):
            return self._placeholder(ctx)  # True / junk: anything goes.
        refs: list[str] = []
        schema = self._normalize(schema, refs)
        ctx = ctx.entering(refs)
        if "const" in schema:
            return copy.deepcopy(schema["const"])
        if schema.get("enum"):
            return copy.deepcopy(_pick_enum(schema["enum"], ctx.variant))
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                return self.sample(self._choose_branch(schema, keyword, ctx), ctx)
        return self._sample_typed(schema, _pick_type(schema), ctx)

    def _sample_typed(self, schema: Mapping[str, Any], type_name: str, ctx: _Context) -> Any:
        if type_name == "object":
            return self._sample_object(schema, ctx)
        if type_name == "array":
            return self._sample_array(schema, ctx)
        if type_name in ("number", "integer"):
            return _sample_number(schema, integer=type_name == "integer", variant=ctx.variant)
        if type_name == "boolean":
            return ctx.variant % 2 == 0
        if type_name == "null":
            return None
        return self._sample_string(schema, ctx)

    # ------------------------------------------------------------ normalizing
    def _normalize(self, schema: Mapping[str, Any], refs: list[str]) -> dict[str, Any]:
        """Inline "$ref" and fold "allOf" so the rest only sees one flat schema.

        Every followed reference is appended to ``refs`` for recursion detection.
        """
        flat = self._inline_refs(schema, refs)
        while "allOf" in flat:
            parts = [p for p in flat.pop("allOf") if isinstance(p, Mapping)]
            for part in parts:
                flat = _merge(flat, self._inline_refs(part, refs))
        return flat

    def _inline_refs(self, schema: Mapping[str, Any], refs: list[str]) -> dict[str, Any]:
        flat = dict(schema)
        for _ in range(_MAX_REF_HOPS):
            ref = flat.pop("$ref", None)
            if not isinstance(ref, str):
                return flat
            refs.append(ref)
            target = self._resolve(ref)
            # Draft 2019+ lets siblings of "$ref" add constraints, so merge, don't replace.
            flat = _merge(dict(target), flat)
        return flat

    def _resolve(self, ref: str) -> Mapping[str, Any]:
        """Resolve a local JSON pointer ("#/$defs/x"); anything else becomes "any"."""
        if not ref.startswith("#"):
            return {}
        node: Any = self.root
        for raw_part in ref[1:].split("/")[1:]:
            part = unquote(raw_part).replace("~1", "/").replace("~0", "~")
            node = _step(node, part)
            if node is None:
                return {}
        return node if isinstance(node, Mapping) else {}

    def _choose_branch(self, schema: Mapping[str, Any], keyword: str, ctx: _Context) -> Any:
        """Pick the first informative branch and merge the shared siblings into it."""
        base = {k: v for k, v in schema.items() if k != keyword}
        raw_options = [o for o in schema[keyword] if isinstance(o, Mapping)]
        if not raw_options:
            return base
        refs: list[str] = []
        inlined = [self._normalize(o, refs) for o in raw_options]
        # A branch that refers back to an enclosing schema is recursion: prefer "null".
        chosen = _first_viable(inlined, prefer_null=ctx.entering(refs).minimal)
        # Return the branch un-inlined so sample() sees its "$ref" and tracks recursion.
        return _merge(base, raw_options[inlined.index(chosen)])

    # ---------------------------------------------------------------- objects
    def _sample_object(self, schema: Mapping[str, Any], ctx: _Context) -> dict[str, Any]:
        properties: Mapping[str, Any] = schema.get("properties") or {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        names = required if ctx.minimal else [*properties, *required]
        result: dict[str, Any] = {}
        for name in dict.fromkeys(names):
            result[name] = self.sample(self._property_schema(schema, name), ctx.child(name))
        for name in _dependent_names(schema, result):
            result[name] = self.sample(self._property_schema(schema, name), ctx.child(name))
        self._pad_properties(schema, result, ctx)
        return result

    def _property_schema(self, schema: Mapping[str, Any], name: str) -> Any:
        properties: Mapping[str, Any] = schema.get("properties") or {}
        if name in properties:
            return properties[name]
        for pattern, sub in (schema.get("patternProperties") or {}).items():
            if _safe_search(pattern, name):
                return sub
        additional = schema.get("additionalProperties", True)
        return additional if isinstance(additional, Mapping) else True

    def _pad_properties(
        self, schema: Mapping[str, Any], result: dict[str, Any], ctx: _Context
    ) -> None:
        """Add example entries only when minProperties demands them."""
        wanted = int(schema.get("minProperties", 0))
        closed = schema.get("additionalProperties") is False
        if closed and not schema.get("patternProperties"):
            return
        for counter in range(1, wanted + len(result) + 1):
            if len(result) >= wanted:
                return
            key = f"key{counter}"
            if key not in result:
                result[key] = self.sample(self._property_schema(schema, key), ctx.child(key))

    # ----------------------------------------------------------------- arrays
    def _sample_array(self, schema: Mapping[str, Any], ctx: _Context) -> list[Any]:
        prefix = _prefix_items(schema)
        items = schema.get("items")
        extra = schema.get("additionalItems", True)
        item_schema = items if isinstance(items, Mapping | bool) else extra
        count = _array_length(schema, len(prefix), ctx.minimal)
        result: list[Any] = []
        for index in range(count):
            sub = prefix[index] if index < len(prefix) else item_schema
            if index == 0 and isinstance(schema.get("contains"), Mapping) and index >= len(prefix):
                # Make sure at least one element satisfies "contains".
                sub = _merge(dict(sub) if isinstance(sub, Mapping) else {}, schema["contains"])
            value = self.sample(sub, ctx.child(index=index))
            if schema.get("uniqueItems"):
                value = self._unique_value(sub, ctx.child(index=index), value, result)
            result.append(value)
        if schema.get("uniqueItems"):
            result = _deduplicate(result)
        return result

    def _unique_value(self, sub: Any, ctx: _Context, value: Any, taken: list[Any]) -> Any:
        """Ask for next-best variants until ``value`` differs from the items so far."""
        for variant in range(1, _MAX_UNIQUE_TRIES):
            if value not in taken:
                return value
            value = self.sample(sub, replace(ctx, variant=variant))
        return value

    # ---------------------------------------------------------------- strings
    def _sample_string(self, schema: Mapping[str, Any], ctx: _Context) -> str:
        pattern = schema.get("pattern")
        fmt = schema.get("format")
        placeholder = self._placeholder(ctx)
        candidates: list[str] = []
        if isinstance(fmt, str) and fmt in _FORMAT_SAMPLES:
            candidates.append(_FORMAT_SAMPLES[fmt])
        candidates.append(placeholder)
        if isinstance(pattern, str):
            candidates.extend(_strings_for_pattern(pattern))
        for candidate in candidates:
            fitted = _fit_length(candidate, schema)
            if _string_ok(fitted, schema):
                return fitted
        return _fit_length(candidates[0], schema)

    def _placeholder(self, ctx: _Context) -> str:
        suffix = f" {ctx.index + 1}" if ctx.index else ""
        return f"[{self.label}] {ctx.name}{suffix}"


# ------------------------------------------------------------------- helpers
def _step(node: Any, part: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(part)
    if isinstance(node, Sequence) and not isinstance(node, str) and part.isdigit():
        index = int(part)
        return node[index] if index < len(node) else None
    return None


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Combine two schemas that must both hold (allOf semantics, best effort)."""
    merged = dict(base)
    for key, value in extra.items():
        if key not in merged:
            merged[key] = value
        else:
            merged[key] = _merge_keyword(key, merged[key], value)
    return merged


def _merge_keyword(key: str, left: Any, right: Any) -> Any:
    if key == "properties" and isinstance(left, Mapping) and isinstance(right, Mapping):
        props = dict(left)
        for name, sub in right.items():
            both = name in props and isinstance(props[name], Mapping) and isinstance(sub, Mapping)
            props[name] = _merge(props[name], sub) if both else sub
        return props
    if key == "required":
        return list(dict.fromkeys([*left, *right]))
    if key == "type":
        return _merge_types(left, right)
    if key == "enum" and isinstance(left, list) and isinstance(right, list):
        common = [v for v in left if v in right]
        return common or right
    if key in _MIN_KEYWORDS and _both_numbers(left, right):
        return max(left, right)
    if key in _MAX_KEYWORDS and _both_numbers(left, right):
        return min(left, right)
    if key == "allOf" and isinstance(left, list) and isinstance(right, list):
        return [*left, *right]
    return right


def _merge_types(left: Any, right: Any) -> Any:
    lefts = [left] if isinstance(left, str) else list(left)
    rights = [right] if isinstance(right, str) else list(right)
    common = [t for t in lefts if t in rights]
    # "integer" is a subtype of "number", so their intersection is "integer".
    if not common and {"integer", "number"} <= {*lefts, *rights}:
        common = ["integer"]
    return common or rights


def _both_numbers(left: Any, right: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))


def _pick_enum(values: Sequence[Any], variant: int) -> Any:
    """Prefer non-null enum values; later variants rotate through the rest."""
    informative = [v for v in values if v is not None] or list(values)
    return informative[variant % len(informative)]


def _first_viable(options: list[dict[str, Any]], *, prefer_null: bool) -> dict[str, Any]:
    """First branch that can produce something: skip "not" and "null" ones unless minimal."""
    usable = [o for o in options if "not" not in o or len(o) > 1]
    nulls = [o for o in usable if o.get("type") == "null"]
    others = [o for o in usable if o.get("type") != "null"]
    ordered = [*nulls, *others] if prefer_null else [*others, *nulls]
    return ordered[0] if ordered else options[0]


def _dependent_names(schema: Mapping[str, Any], present: Mapping[str, Any]) -> list[str]:
    """Names that dependentRequired (or draft 7 list-form "dependencies") pulls in."""
    missing: list[str] = []
    for keyword in ("dependentRequired", "dependencies"):
        rules = schema.get(keyword)
        if not isinstance(rules, Mapping):
            continue
        for trigger, needed in rules.items():
            if trigger in present and isinstance(needed, list):
                missing.extend(n for n in needed if isinstance(n, str) and n not in present)
    return list(dict.fromkeys(missing))


def _pick_type(schema: Mapping[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, str):
        return declared
    if isinstance(declared, list) and declared:
        non_null = [t for t in declared if t != "null"]
        return str((non_null or declared)[0])
    return _infer_type(schema)


def _infer_type(schema: Mapping[str, Any]) -> str:
    """Guess the type from the keywords present when "type" is omitted."""
    hints = {
        "object": ("properties", "required", "additionalProperties", "patternProperties"),
        "array": ("items", "prefixItems", "minItems", "maxItems", "contains"),
        "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
    }
    for type_name, keywords in hints.items():
        if any(k in schema for k in keywords):
            return type_name
    return "string"


def _prefix_items(schema: Mapping[str, Any]) -> list[Any]:
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list):
        return prefix
    items = schema.get("items")
    # Draft 4-7 tuple validation spells prefixItems as a list-valued "items".
    return items if isinstance(items, list) else []


def _array_length(schema: Mapping[str, Any], prefix_len: int, minimal: bool) -> int:
    minimum = int(schema.get("minItems", 0))
    count = max(minimum, prefix_len) if minimal else max(minimum, prefix_len, 1)
    maximum = schema.get("maxItems")
    if isinstance(maximum, int):
        count = min(count, maximum)
    # Tuple schemas that forbid extra items cap the length at the prefix.
    closed = schema.get("items") is False or schema.get("additionalItems") is False
    if prefix_len and closed:
        count = min(count, prefix_len)
    return count


def _deduplicate(values: list[Any]) -> list[Any]:
    """Drop repeats when uniqueItems is set; minItems may then be missed (best effort)."""
    seen: list[Any] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


# ------------------------------------------------------------------- numbers
def _sample_number(schema: Mapping[str, Any], *, integer: bool, variant: int = 0) -> int | float:
    low, low_open, high, high_open = _bounds(schema)
    target = _target(low, high, integer, variant)
    step = schema.get("multipleOf")
    if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
        return _snap_to_multiple(target, step, low, low_open, high, high_open, integer)
    value = _clamp(target, low, low_open, high, high_open, integer)
    return _tidy(value, integer)


def _bounds(schema: Mapping[str, Any]) -> tuple[float | None, bool, float | None, bool]:
    """Return (low, low_exclusive, high, high_exclusive), handling draft 4 booleans."""
    low, low_open = _bound(schema, "minimum", "exclusiveMinimum", max)
    high, high_open = _bound(schema, "maximum", "exclusiveMaximum", min)
    return low, low_open, high, high_open


def _bound(
    schema: Mapping[str, Any],
    inclusive_key: str,
    exclusive_key: str,
    pick: Callable[[float, float], float],
) -> tuple[float | None, bool]:
    inclusive = _number_or_none(schema.get(inclusive_key))
    exclusive_raw = schema.get(exclusive_key)
    if exclusive_raw is True:  # draft 4: boolean modifier of minimum/maximum
        return inclusive, inclusive is not None
    exclusive = _number_or_none(exclusive_raw)
    if exclusive is None:
        return inclusive, False
    if inclusive is None:
        return exclusive, True
    tighter = pick(inclusive, exclusive)
    return tighter, tighter == exclusive and exclusive != inclusive


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _target(low: float | None, high: float | None, integer: bool, variant: int) -> float:
    if low is not None and high is not None:
        preferred = low + (high - low) * _RANGE_FRACTION
        unit = 1.0 if integer else min(1.0, (high - low) / 20)
    elif low is not None:
        preferred, unit = low + 1, 1.0
    elif high is not None:
        preferred, unit = min(high - 1, 1), 1.0
    else:
        preferred, unit = 1, 1.0
    return preferred + _alternate(variant) * unit


def _alternate(variant: int) -> int:
    """0, -1, +1, -2, +2, ...: variants fan out around the preferred value."""
    step = (variant + 1) // 2
    return -step if variant % 2 else step


def _clamp(
    value: float,
    low: float | None,
    low_open: bool,
    high: float | None,
    high_open: bool,
    integer: bool,
) -> float:
    if integer:
        value = round(value)
        if low is not None and (value < low or (low_open and value <= low)):
            value = math.floor(low) + 1 if low_open else math.ceil(low)
        if high is not None and (value > high or (high_open and value >= high)):
            value = math.ceil(high) - 1 if high_open else math.floor(high)
        return value
    if low is not None and (value < low or (low_open and value <= low)):
        value = low + (1 if high is None else (high - low) / 2)
    if high is not None and (value > high or (high_open and value >= high)):
        value = high - (1 if low is None else (high - low) / 2)
    return value


def _snap_to_multiple(
    target: float,
    step: float,
    low: float | None,
    low_open: bool,
    high: float | None,
    high_open: bool,
    integer: bool,
) -> int | float:
    """Find k so that k*step is in range and passes the validator's float check."""
    center = round(target / step)
    for k in _spiral(center, 2000):
        value = _tidy(k * step, integer)
        if integer and value != int(value):
            continue
        if _in_range(value, low, low_open, high, high_open) and _is_multiple(value, step):
            return value
    return _tidy(center * step, integer)


def _spiral(center: int, radius: int) -> Iterator[int]:
    yield center
    for offset in range(1, radius):
        yield center + offset
        yield center - offset


def _in_range(
    value: float, low: float | None, low_open: bool, high: float | None, high_open: bool
) -> bool:
    if low is not None and (value < low or (low_open and value <= low)):
        return False
    return not (high is not None and (value > high or (high_open and value >= high)))


def _is_multiple(value: float, step: float) -> bool:
    # Mirrors how validators check multipleOf for floats: the quotient must be integral.
    if isinstance(step, float) or isinstance(value, float):
        quotient = value / step
        return math.isfinite(quotient) and int(quotient) == quotient
    return int(value) % int(step) == 0


def _tidy(value: float, integer: bool) -> int | float:
    """Return ints for whole numbers so samples read naturally (85, not 85.0)."""
    if integer or (isinstance(value, float) and value.is_integer()):
        return int(value)
    return round(value, 6) if abs(value) >= 1e-6 else value


# ------------------------------------------------------------------- strings
def _fit_length(text: str, schema: Mapping[str, Any]) -> str:
    min_length = schema.get("minLength")
    max_length = schema.get("maxLength")
    if isinstance(min_length, int):
        while len(text) < min_length:
            text += _FILLER
    if isinstance(min_length, int) and isinstance(max_length, int) and max_length >= min_length:
        return text[:max_length]
    if isinstance(max_length, int):
        return text[:max_length]
    return text


def _string_ok(text: str, schema: Mapping[str, Any]) -> bool:
    min_length = schema.get("minLength")
    max_length = schema.get("maxLength")
    if isinstance(min_length, int) and len(text) < min_length:
        return False
    if isinstance(max_length, int) and len(text) > max_length:
        return False
    pattern = schema.get("pattern")
    return not isinstance(pattern, str) or _safe_search(pattern, text)


def _safe_search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True  # A pattern Python cannot parse cannot be honoured anyway.


def _strings_for_pattern(pattern: str) -> list[str]:
    """Generate strings that may match ``pattern``, shortest reasonable first."""
    candidates: list[str] = []
    generated = _generate_from_regex(pattern)
    if generated is not None:
        candidates.append(generated)
    candidates.extend(["demo", "a", "A", "0", "abc123", "demo-1", "x" * 8])
    return candidates


def _generate_from_regex(pattern: str) -> str | None:
    """Walk the stdlib regex parse tree and emit one matching string.

    ``re._parser`` is private but stable enough for a best-effort helper; any surprise
    (unknown opcode, API change) just means we fall back to fixed candidates.
    """
    try:
        parser: Any = importlib.import_module("re._parser")
        constants: Any = importlib.import_module("re._constants")
        tree = parser.parse(pattern)
        return _RegexWriter(constants).write(tree)
    except Exception:
        return None


class _RegexWriter:
    """Turns a parsed regex into a concrete string (minimal repeats, first branches)."""

    def __init__(self, constants: Any) -> None:
        self.c = constants

    def write(self, items: Any) -> str:
        return "".join(self._write_item(op, arg) for op, arg in items)

    def _write_item(self, op: Any, arg: Any) -> str:
        c = self.c
        if op is c.LITERAL:
            return chr(arg)
        if op is c.NOT_LITERAL:
            return "a" if arg != ord("a") else "b"
        if op is c.ANY:
            return "a"
        if op is c.IN:
            return self._write_set(arg)
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, _high, sub = arg
            return self.write(sub) * max(low, 0)
        if op is c.SUBPATTERN:
            return self.write(arg[-1])
        if op is c.BRANCH:
            return self.write(arg[1][0])
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return ""
        if op is getattr(c, "ATOMIC_GROUP", None):
            return self.write(arg)
        raise ValueError(f"unsupported regex opcode {op}")

    def _write_set(self, members: Any) -> str:
        c = self.c
        if members and members[0][0] is c.NEGATE:
            excluded = {m[1] for m in members[1:] if m[0] is c.LITERAL}
            return next(ch for ch in "azAZ09_-" if ord(ch) not in excluded)
        op, arg = members[0]
        if op is c.LITERAL:
            return chr(arg)
        if op is c.RANGE:
            return chr(arg[0])
        if op is c.CATEGORY:
            return self._write_category(arg)
        raise ValueError(f"unsupported set member {op}")

    def _write_category(self, category: Any) -> str:
        c = self.c
        samples = {
            c.CATEGORY_DIGIT: "0",
            c.CATEGORY_NOT_DIGIT: "a",
            c.CATEGORY_SPACE: " ",
            c.CATEGORY_NOT_SPACE: "a",
            c.CATEGORY_WORD: "a",
            c.CATEGORY_NOT_WORD: "-",
        }
        return samples.get(category, "a")
