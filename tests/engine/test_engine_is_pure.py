"""The engine must run without Django, litellm, Channels or Neo4j (STYLE.md 2)."""

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "engine"
FORBIDDEN = {
    "django",
    "litellm",
    "channels",
    "neo4j",
    "rest_framework",
    "celery",
    # Our Django apps.
    "agents",
    "departments",
    "executions",
    "brain",
    "aladdin",
}


def imported_top_level_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def engine_modules():
    return sorted(ENGINE.rglob("*.py"))


def test_the_engine_package_has_modules_to_check():
    assert (ENGINE / "__init__.py").exists()
    assert len(engine_modules()) > 1


@pytest.mark.parametrize("path", engine_modules(), ids=lambda path: str(path.relative_to(ENGINE)))
def test_engine_module_imports_no_framework_or_django_app(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert not imported_top_level_names(tree) & FORBIDDEN


def test_the_import_check_catches_forbidden_imports():
    tree = ast.parse(
        "import django.db\nfrom litellm import acompletion\nfrom brain.models import X"
    )
    assert imported_top_level_names(tree) & FORBIDDEN == {"django", "litellm", "brain"}
