"""Write paths for agents: configuration changes with versioning, duplication, activation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agents.models import INITIAL_VERSION, Agent

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
