"""The apps import in one direction (STYLE.md point 14).

From the bottom up:

    engine        plain async Python; imports no app (tests/engine/test_engine_is_pure.py)
    aladdin       its shared helpers (validators, crypto, audit, egress, ...)
    brain         canon, the graph, the data preparation pipeline
    departments   the departments
    agents        the team, its tools and the LLM path
    executions    runs, recording, orchestration services, building runners

A module may import its own app and the apps below it, never one above. Where a lower
app needs something from a higher one (the brain pipeline needs an LLM runner), it
takes it as an argument. The edges sit on top of everything and may import any app:
admin, views, urls, consumers, tasks, routing, management commands, the project's
settings/urls/asgi/celery/seeding side of `aladdin/`, and apps made only of edges
(api, dashboard, webhooks, ...: any app not in the list above). Imports inside one
app are not checked: an app is one unit. Lazy imports inside functions count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"engine": 0, "aladdin": 1, "brain": 2, "departments": 3, "agents": 4, "executions": 5}
EDGE = 99
EDGE_MODULES = {
    "admin",
    "views",
    "urls",
    "consumers",
    "tasks",
    "routing",
    "asgi",
    "wsgi",
    "settings",
    "celery",
    "context_processors",
    "management",
    "health",
    "seeding",
    "__init__",
}


def our_apps() -> set[str]:
    return {p.parent.name for p in ROOT.glob("*/apps.py")} | {"engine"}


def layer(dotted: str) -> int | None:
    """The layer of module `dotted`, None for third-party code."""
    parts = dotted.split(".")
    app = parts[0]
    if app not in our_apps():
        return None
    if app not in LAYERS:
        return EDGE
    inner = parts[1:]
    if app == "aladdin":  # the project side is on top; every other module is a helper
        return EDGE if not inner or inner[0] in EDGE_MODULES else LAYERS[app]
    if any(part in EDGE_MODULES - {"__init__"} for part in inner):
        return EDGE
    return LAYERS[app]


def imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module in our_apps():  # `from aladdin import audit`
                yield from ((node.lineno, f"{node.module}.{a.name}") for a in node.names)
            else:
                yield node.lineno, node.module


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def app_modules() -> list[Path]:
    return sorted(
        path
        for app in LAYERS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def violations(source: str, name: str) -> list[str]:
    here = layer(name)
    if here is None or here == EDGE:
        return []
    app = name.split(".")[0]
    found = []
    for line, target in imports(ast.parse(source)):
        there = layer(target)
        if there is not None and target.split(".")[0] != app and there > here:
            found.append(f"{name}:{line} imports {target}, which sits above it")
    return found


def test_there_are_app_modules_to_check() -> None:
    assert len(app_modules()) > 50
    assert set(LAYERS) <= our_apps()


@pytest.mark.parametrize("path", app_modules(), ids=module_name)
def test_module_imports_only_its_own_app_and_the_apps_below(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8"), module_name(path)) == []


def test_the_check_catches_an_import_upwards_even_inside_a_function() -> None:
    source = "def f():\n    from agents.runtime import build_gateway\n"
    assert violations(source, "brain.services") == [
        "brain.services:2 imports agents.runtime, which sits above it"
    ]
    assert violations("from executions.models import ToolCall", "agents.tools.executor")
    assert violations("from aladdin import audit", "agents.services") == []
    assert violations("from executions.models import ToolCall", "agents.admin") == []
