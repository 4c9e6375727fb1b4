"""Write paths for agents: configuration changes with versioning, duplication, activation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agents.models import INITIAL_VERSION, Agent, CustomTool
from aladdin import audit
from departments.models import Department

# Changing any of these changes how the agent behaves, so it is a new version.
CONFIGURATION_FIELDS = (
    "name",
    "description",
    "department",
    "is_department_head",
    "model",
    "instructions_prompt",
    "tools",
    "max_agent_steps",
    "specialization",
    "skills",
    "required_context",
    "requires_review",
    "quality_threshold",
    "max_retries",
    "estimated_tokens_per_run",
)
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def next_version(version: str) -> str:
    """The next patch version: 1.0.0 -> 1.0.1. A non-semver version restarts at 1.0.1."""
    match = _SEMVER.match(version.strip())
    if not match:
        return "1.0.1"
    major, minor, patch = (int(part) for part in match.groups())
    return f"{major}.{minor}.{patch + 1}"


def apply_configuration_change(
    agent: Agent, changed_fields: Iterable[str], *, author: str = "", note: str = ""
) -> bool:
    """Bump the version and append a changelog entry if configuration changed.

    The caller saves the agent afterwards (the admin form, the API). Returns
    whether a new version was made.
    """
    changed = [field for field in CONFIGURATION_FIELDS if field in set(changed_fields)]
    if not changed:
        return False
    agent.version = next_version(agent.version)
    entry: dict[str, Any] = {
        "version": agent.version,
        "changes": note or "Changed " + ", ".join(field.replace("_", " ") for field in changed),
        "fields": changed,
        "date": timezone.now().isoformat(),
    }
    if author:
        entry["author"] = author
    agent.changelog = [*agent.changelog, entry]
    return True


def unique_agent_id(base: str) -> str:
    candidate = f"{base}-copy"
    suffix = 2
    while Agent.objects.filter(agent_id=candidate).exists():
        candidate = f"{base}-copy-{suffix}"
        suffix += 1
    return candidate


@transaction.atomic
def duplicate_agent(agent: Agent) -> Agent:
    """A fresh copy: same configuration, new id, no metrics, version 1.0.0.

    A copy of a department head becomes a specialist, since a department has
    one head.
    """
    tools = list(agent.tools.all())
    copy = Agent.objects.get(pk=agent.pk)
    copy.pk = None
    copy.agent_id = unique_agent_id(agent.agent_id)
    copy.name = f"{agent.name} (copy)"
    if copy.is_department_head:
        copy.is_department_head = False
        copy.requires_review = True
    copy.success_rate = copy.average_execution_time = copy.average_quality_score = 0
    copy.total_executions = copy.successful_executions = copy.scored_executions = 0
    copy.total_tokens_used = 0
    copy.last_executed_at = None
    copy.version = INITIAL_VERSION
    copy.changelog = [
        {
            "version": INITIAL_VERSION,
            "changes": f"Duplicated from {agent.agent_id} {agent.version}",
            "fields": [],
            "date": timezone.now().isoformat(),
        }
    ]
    copy.save()
    copy.tools.set(tools)
    return copy


def set_active(agents: QuerySet[Agent], active: bool) -> int:
    return agents.update(is_active=active, updated_at=timezone.now())


# --- Create, change and delete through the API (the admin's rules, the admin's versioning) --


def _tools_named(names: Iterable[str]) -> list[CustomTool]:
    wanted = list(dict.fromkeys(names))
    tools = list(CustomTool.objects.filter(tool_name__in=wanted))
    missing = sorted(set(wanted) - {tool.tool_name for tool in tools})
    if missing:
        raise ValidationError({"tools": f"No tool named {', '.join(missing)}."})
    return tools


def _review_flag_for(fields: dict[str, Any]) -> bool:
    # Spec 4.1: heads and the orchestrator are never reviewed; specialists always are.
    return bool(fields.get("department")) and not fields.get("is_department_head", False)


@transaction.atomic
def create_agent(
    fields: dict[str, Any], tool_names: Iterable[str] | None = None, *, author: str = ""
) -> Agent:
    """A new agent at version 1.0.0, checked with every rule the admin form applies."""
    fields = dict(fields)
    fields.setdefault("requires_review", _review_flag_for(fields))
    agent = Agent(**fields)
    agent.changelog = [
        {
            "version": agent.version,
            "changes": "Created",
            "fields": [],
            "date": timezone.now().isoformat(),
            **({"author": author} if author else {}),
        }
    ]
    agent.full_clean()
    agent.save()
    if tool_names is not None:
        agent.tools.set(_tools_named(tool_names))
    audit.record(
        "agent.create",
        "agent",
        agent.agent_id,
        changes={"fields": sorted(fields), "version": agent.version},
    )
    return agent


@transaction.atomic
def update_agent(
    agent: Agent,
    changes: dict[str, Any],
    tool_names: Iterable[str] | None = None,
    *,
    author: str = "",
) -> Agent:
    """Apply changes; a configuration change bumps the version and writes the changelog."""
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    changed = [name for name, value in changes.items() if getattr(agent, name) != value]
    for name in changed:
        setattr(agent, name, changes[name])
    tools = None
    if tool_names is not None:
        tools = _tools_named(tool_names)
        if {t.pk for t in tools} != set(agent.tools.values_list("pk", flat=True)):
            changed.append("tools")
    agent.full_clean()
    apply_configuration_change(agent, changed, author=author)
    agent.save()
    if tools is not None:
        agent.tools.set(tools)
    if changed:
        audit.record(
            "agent.update",
            "agent",
            agent.agent_id,
            changes={"fields": changed, "version": agent.version},
        )
    return agent


@transaction.atomic
def delete_agent(agent: Agent) -> None:
    """Past runs keep their record; their agent link becomes empty."""
    agent_id, version = agent.agent_id, agent.version
    agent.delete()
    audit.record("agent.delete", "agent", agent_id, changes={"version": version})


@transaction.atomic
def create_tool(
    fields: dict[str, Any], department_slugs: Iterable[str] = (), *, user: Any = None
) -> CustomTool:
    tool = CustomTool(**fields)
    if user is not None and getattr(user, "is_authenticated", False):
        tool.created_by = user
    tool.full_clean()
    tool.save()
    tool.departments.set(_departments(department_slugs))
    audit.record("tool.create", "tool", tool.tool_name, changes={"fields": sorted(fields)})
    return tool


@transaction.atomic
def update_tool(
    tool: CustomTool, changes: dict[str, Any], department_slugs: Iterable[str] | None = None
) -> CustomTool:
    changed = [name for name, value in changes.items() if getattr(tool, name) != value]
    for name in changed:
        setattr(tool, name, changes[name])
    tool.full_clean()
    tool.save()
    if department_slugs is not None:
        tool.departments.set(_departments(department_slugs))
        changed.append("departments")
    # A secret is audited as changed, never with its value.
    audit.record("tool.update", "tool", tool.tool_name, changes={"fields": changed})
    return tool


@transaction.atomic
def delete_tool(tool: CustomTool) -> None:
    name = tool.tool_name
    tool.delete()
    audit.record("tool.delete", "tool", name)


def _departments(slugs: Iterable[str]) -> list[Department]:
    wanted = list(dict.fromkeys(slugs))
    found = list(Department.objects.filter(slug__in=wanted))
    missing = sorted(set(wanted) - {d.slug for d in found})
    if missing:
        raise ValidationError({"departments": f"No department {', '.join(missing)}."})
    return found
