"""Reads for agents: admin rows turned into the frozen specs the engine runs."""

from __future__ import annotations

from django.conf import settings

from agents.models import Agent, CustomTool
from brain.models import Project
from engine.complexity import ModelTier
from engine.ports import AgentSpec, ModelChoice, ToolSpec


def tier_models(project: Project | None = None) -> tuple[tuple[ModelTier, str], ...]:
    """Each tier's model: the project's choice, else the site's, else the default model."""
    default = settings.ALADDIN_DEFAULT_MODEL
    site = {
        ModelTier.SIMPLE: settings.ALADDIN_MODEL_SIMPLE,
        ModelTier.STANDARD: settings.ALADDIN_MODEL_STANDARD,
        ModelTier.PREMIUM: settings.ALADDIN_MODEL_PREMIUM,
    }
    own = {
        ModelTier.SIMPLE: project.model_simple if project else "",
        ModelTier.STANDARD: project.model_standard if project else "",
        ModelTier.PREMIUM: project.model_premium if project else "",
    }
    return tuple((tier, own[tier] or site[tier] or default) for tier in ModelTier)


def available_tools(agent: Agent) -> list[CustomTool]:
    """The agent's active tools that its department may use (or that are global).

    Filtered in Python so a caller that prefetched `tools__departments` (the team
    selector does, for all 31 agents at once) makes no further queries.
    """
    usable = [
        tool
        for tool in agent.tools.all()
        if tool.is_active
        and (
            tool.is_global
            or (
                agent.department_id is not None
                and any(d.pk == agent.department_id for d in tool.departments.all())
            )
        )
    ]
    return sorted(usable, key=lambda tool: tool.tool_name)


def tool_spec(tool: CustomTool) -> ToolSpec:
    return ToolSpec(
        name=tool.tool_name,
        description=tool.description,
        input_schema=tool.input_schema,
        output_schema=tool.output_schema or None,
    )


def agent_spec(
    agent: Agent,
    project: Project | None = None,
    tiers: tuple[tuple[ModelTier, str], ...] | None = None,
) -> AgentSpec:
    """`tiers`: tier_models(project), when the caller made it once for a whole team."""
    department = agent.department
    explicit = agent.model or (department.default_model if department else "")
    return AgentSpec(
        agent_id=agent.agent_id,
        name=agent.name,
        role=agent.role,
        department=department.slug if department else None,
        instructions_prompt=agent.instructions_prompt,
        models=ModelChoice(explicit=explicit, tiers=tiers or tier_models(project)),
        tools=tuple(tool_spec(tool) for tool in available_tools(agent)),
        max_agent_steps=agent.max_agent_steps,
        required_context=tuple(agent.required_context),
        quality_threshold=agent.quality_threshold,
        max_retries=agent.max_retries,
        requires_review=agent.requires_review,
        version=agent.version,
        specialization=agent.specialization,
        description=agent.description,
        pk=agent.pk,
        average_execution_ms=agent.average_execution_time,
        loop_detection=agent.loop_detection,
    )
