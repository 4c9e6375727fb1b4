"""seed_aladdin creates the spec 2.2 team and a demo project, and is idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from agents.models import Agent, CustomTool
from brain.models import Character, CharacterRelationship, Episode, Project, Scene
from departments.models import Department

pytestmark = pytest.mark.django_db

SPECIALISTS = {
    "story": {
        "Story Architect",
        "Dialogue Writer",
        "World Builder",
        "Theme Analyzer",
        "Episode Planner",
    },
    "character": {
        "Character Creator",
        "Psychology Specialist",
        "Relationship Specialist",
        "Arc Development",
    },
    "visual": {"Art Director", "Style Designer", "Color Theory"},
    "video": {"Scene Assembler", "Quality Verifier", "Audio Integrator"},
    "audio": {"Music Composer", "Sound Designer", "Foley Artist", "Audio Mixer", "Voice Creator"},
    "production": {"Production Manager", "Quality Controller", "Budget Coordinator", "Scheduler"},
}


def seed() -> str:
    out = StringIO()
    call_command("seed_aladdin", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple[object, ...]]]:
    """Every row of our apps, as values, to compare before and after a second run."""
    state = {}
    for label in ("departments", "agents", "brain"):
        for model in apps.get_app_config(label).get_models():
            state[model._meta.label] = sorted(tuple(row.values()) for row in model.objects.values())
    return state


def test_seed_creates_the_hierarchy_of_spec_2_2() -> None:
    seed()
    assert Agent.objects.count() == 31
    assert Department.objects.count() == 6
    heads = Agent.objects.filter(is_department_head=True)
    assert heads.count() == 6
    assert sorted(heads.values_list("department__slug", flat=True)) == sorted(SPECIALISTS)
    for slug, names in SPECIALISTS.items():
        specialists = Agent.objects.filter(department__slug=slug, is_department_head=False)
        strip = " Specialist"
        assert {a.name.removesuffix(strip) for a in specialists} == {
            n.removesuffix(strip) for n in names
        }, slug
        assert all(a.requires_review for a in specialists)
    orchestrator = Agent.objects.get(department__isnull=True)
    assert orchestrator.agent_id == "master-orchestrator" and not orchestrator.requires_review
    assert not heads.filter(requires_review=True).exists()


def test_every_seeded_prompt_is_specific_and_complete() -> None:
    seed()
    for agent in Agent.objects.all():
        words = agent.instructions_prompt.split()
        assert len(words) >= 100, agent.agent_id
        assert "TODO" not in agent.instructions_prompt
        assert "{" not in agent.instructions_prompt, agent.agent_id


def test_seeded_agents_use_the_default_model_setting() -> None:
    seed()
    assert not Agent.objects.exclude(model="").exists()
    assert not Department.objects.exclude(default_model="").exists()


def test_seed_creates_builtin_tools_that_pass_validation() -> None:
    seed()
    names = set(CustomTool.objects.values_list("tool_name", flat=True))
    assert names >= {
        "get_project_context",
        "search_brain",
        "store_entity",
        "create_relationship",
        "grade_output",
    }
    for tool in CustomTool.objects.all():
        tool.full_clean()
    creator = Agent.objects.get(agent_id="character-creator-001")
    assert "store_entity" in creator.tools.values_list("tool_name", flat=True)


def test_seed_creates_a_demo_project_with_a_story_world() -> None:
    seed()
    project = Project.objects.get()
    # Episodes 1-2 from brain/seed_data.py, episode 3 from the demo script (screenplay/demo/).
    assert Episode.objects.filter(project=project).count() == 3
    assert Scene.objects.filter(episode__project=project).count() >= 4
    assert Character.objects.filter(project=project).count() >= 4
    assert CharacterRelationship.objects.filter(from_character__project=project).count() >= 3


def test_second_run_changes_nothing() -> None:
    first = seed()
    before = snapshot()
    second = seed()
    assert snapshot() == before
    assert "created" in first and "created" not in second


def test_seed_keeps_admin_edits() -> None:
    seed()
    Agent.objects.filter(agent_id="dialogue-writer-001").update(instructions_prompt="Mine.")
    seed()
    assert Agent.objects.get(agent_id="dialogue-writer-001").instructions_prompt == "Mine."
