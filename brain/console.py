"""The read-only Cypher console's service: one project at a time, for system admins.

The view checks `system:admin` and `project:read` on the chosen project; this module
then keeps the query to what the user may read:
- the chosen project's uid is bound as `$projectUid` (the client cannot set it), so
  queries scope themselves with `{projectId: $projectUid}`;
- a string literal or parameter value that names a project the user may not read
  (its uid, slug or name) is refused before the query runs;
- a result holding a node whose `projectId` (a Project node's `id`) is not a
  project the user may read, or a value naming a project they may not read, is
  refused instead of returned (nested lists, maps and paths included).
A query that names no project and returns no such value (`MATCH (n) RETURN
count(n)`) is not limited: that is why the console needs `system:admin`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from brain import services
from brain.access import readable_projects
from brain.graph.cypher_guard import CypherRejected, string_literals
from brain.graph.sync import run_blocking
from brain.models import Project

PROJECT_PARAMETER: Final = "projectUid"
MAX_PARAMS_DEPTH: Final = 10


@dataclass(frozen=True)
class Scope:
    """What the user may read: node owners (project uids) allowed, and what names the
    projects they may not read (uids, slugs, names; case-folded)."""

    readable: frozenset[str] | None  # None: every project, nothing to check
    unreadable_uids: frozenset[str]
    unreadable_names: frozenset[str]

    def names_unreadable(self, text: str) -> bool:
        folded = text.strip().casefold()
        return (
            folded in self.unreadable_names
            or folded in self.unreadable_uids
            or any(uid in folded for uid in self.unreadable_uids)
        )

    def may_read_owner(self, owner: str) -> bool:
        return self.readable is None or owner.casefold() in self.readable


def scope_of(user: Any) -> Scope:
    if user.is_superuser:
        return Scope(None, frozenset(), frozenset())
    readable = frozenset(str(uid) for uid in readable_projects(user).values_list("uid", flat=True))
    rows = Project.objects.values_list("uid", "slug", "name")
    others = [(str(uid), slug, name) for uid, slug, name in rows if str(uid) not in readable]
    return Scope(
        readable,
        frozenset(uid for uid, _, _ in others),
        frozenset(t.strip().casefold() for _, slug, name in others for t in (slug, name) if t),
    )


def run_query(
    user: Any, project: Project, cypher: str, params: Mapping[str, Any], limit: int
) -> list[dict[str, Any]]:
    """Run the console's query on `project` (which the caller checked the user may read)."""
    if PROJECT_PARAMETER in params:
        raise ValueError(f"${PROJECT_PARAMETER} is set from the chosen project; leave it out.")
    check_depth(params)
    scope = scope_of(user)
    for text in [*string_literals(cypher), *strings_in(params)]:
        if scope.names_unreadable(text):
            raise CypherRejected(
                f"The query names a project you may not read ({text[:60]!r}); "
                f"queries run on '{project.slug}', bound as ${PROJECT_PARAMETER}."
            )
    bound = {**params, PROJECT_PARAMETER: str(project.uid)}
    rows = run_blocking(lambda: services.read_query(cypher, bound, limit=limit))
    if any(reads_unreadable(value, scope) for row in rows for value in row.values()):
        raise CypherRejected(
            "The result holds data of a project you may not read, so it is not shown; "
            f"scope the query with {{projectId: ${PROJECT_PARAMETER}}}."
        )
    return rows


def check_depth(value: Any, depth: int = 0) -> None:
    if depth > MAX_PARAMS_DEPTH:
        raise ValueError(f'"params" may be nested at most {MAX_PARAMS_DEPTH} levels deep.')
    children = value.values() if isinstance(value, Mapping) else value
    if isinstance(value, Mapping | list):
        for child in children:
            check_depth(child, depth + 1)


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a JSON value, map keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, child in value.items():
            yield str(key)
            yield from strings_in(child)
    elif isinstance(value, list | tuple):
        for child in value:
            yield from strings_in(child)


def reads_unreadable(value: Any, scope: Scope) -> bool:
    """A row value (as brain.graph.neo4j_backend.to_json_value shapes it) that holds a
    node of a project the user may not read (or of none in the database), or names one."""
    if isinstance(value, Mapping) and isinstance(value.get("properties"), Mapping):
        properties = value["properties"]
        owner = properties.get("projectId")
        if owner is None and "Project" in (value.get("labels") or []):
            owner = properties.get("id")
        if isinstance(owner, str) and not scope.may_read_owner(owner):
            return True
    if isinstance(value, Mapping | list | tuple):
        return any(reads_unreadable(child, scope) for child in children(value))
    return isinstance(value, str) and scope.names_unreadable(value)


def children(value: Mapping[str, Any] | list[Any] | tuple[Any, ...]) -> list[Any]:
    return [*value.keys(), *value.values()] if isinstance(value, Mapping) else list(value)
