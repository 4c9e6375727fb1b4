"""The registry of built-in tools, by name.

The admin refers to a built-in by name (CustomTool.builtin_name); this module
maps names to classes. Adding a tool is adding a class with @builtin_tool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar


@dataclass(frozen=True)
class ToolContext:
    """What a tool may know about the run calling it."""

    project_id: int | None
    agent_id: str
    execution_id: str


class BuiltinTool:
    name: ClassVar[str]
    description: ClassVar[str]
    input_schema: ClassVar[dict[str, Any]]

    async def run(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        raise NotImplementedError


ToolClass = TypeVar("ToolClass", bound=type[BuiltinTool])
_BUILTINS: dict[str, type[BuiltinTool]] = {}


def builtin_tool(cls: ToolClass) -> ToolClass:
    if cls.name in _BUILTINS:
        raise ValueError(f"A built-in tool named {cls.name!r} is already registered.")
    _BUILTINS[cls.name] = cls
    return cls


def _load_builtins() -> None:
    # Importing the module runs its @builtin_tool decorators.
    from agents.tools import builtins  # noqa: F401


def builtin_tool_names() -> list[str]:
    _load_builtins()
    return sorted(_BUILTINS)


def get_builtin(name: str) -> type[BuiltinTool]:
    _load_builtins()
    try:
        return _BUILTINS[name]
    except KeyError:
        raise KeyError(f"No built-in tool named {name!r}.") from None


def all_builtins() -> dict[str, type[BuiltinTool]]:
    _load_builtins()
    return dict(_BUILTINS)
