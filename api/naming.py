"""snake_case (models) <-> camelCase (the API, as spec 11.1 writes it)."""

from __future__ import annotations


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
