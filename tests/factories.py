"""Small factories for tests: plain functions that create valid rows."""

from __future__ import annotations

import itertools
from typing import Any

from agents.models import Agent, CustomTool
from brain.models import Character, Episode, Project, Scene
from departments.models import Department

_counter = itertools.count(1)


def department(**fields: Any) -> Department:
    n = next(_counter)
    defaults: dict[str, Any] = {"slug": f"dept-{n}", "name": f"Department {n}", "priority": 5}
    return Department.objects.create(**{**defaults, **fields})


def agent(**fields: Any) -> Agent:
    n = next(_counter)
    defaults: dict[str, Any] = {
        "agent_id": f"agent-{n}",
        "name": f"Agent {n}",
        "instructions_prompt": "You help.",
    }
    if "department" not in fields:
        defaults["department"] = department()
    values = {**defaults, **fields}
    if "requires_review" not in fields:
        values["requires_review"] = not values.get("is_department_head", False) and (
            values["department"] is not None
        )
    return Agent.objects.create(**values)


def tool(**fields: Any) -> CustomTool:
    n = next(_counter)
    defaults: dict[str, Any] = {
        "tool_name": f"tool_{n}",
        "display_name": f"Tool {n}",
        "description": "Does a thing.",
        "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}},
        "builtin_name": "search_brain",
    }
    return CustomTool.objects.create(**{**defaults, **fields})


def project(**fields: Any) -> Project:
    n = next(_counter)
    defaults: dict[str, Any] = {"slug": f"project-{n}", "name": f"Project {n}"}
    return Project.objects.create(**{**defaults, **fields})


def episode(project_: Project | None = None, **fields: Any) -> Episode:
    n = next(_counter)
    defaults: dict[str, Any] = {"episode_number": n, "title": f"Episode {n}"}
    return Episode.objects.create(project=project_ or project(), **{**defaults, **fields})


def scene(episode_: Episode | None = None, **fields: Any) -> Scene:
    n = next(_counter)
    defaults: dict[str, Any] = {"scene_number": n, "title": f"Scene {n}"}
    return Scene.objects.create(episode=episode_ or episode(), **{**defaults, **fields})


def character(project_: Project | None = None, **fields: Any) -> Character:
    n = next(_counter)
    defaults: dict[str, Any] = {"name": f"Character {n}"}
    return Character.objects.create(project=project_ or project(), **{**defaults, **fields})


def user(username: str | None = None, **fields: Any) -> Any:
    from django.contrib.auth import get_user_model

    n = next(_counter)
    return get_user_model().objects.create_user(
        username or f"user-{n}", password="pw-user-12345", **fields
    )


def member(project_: Project, role: str = "user", user_: Any = None) -> Any:
    """A user with `role` on `project_` (a new user unless one is given)."""
    from brain.models import ProjectMembership

    who = user_ or user()
    ProjectMembership.objects.create(project=project_, user=who, role=role)
    return who
