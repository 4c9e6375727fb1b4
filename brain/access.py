"""Who may do what: the RBAC policy of spec 10.1, per project.

One module decides every permission, for pages, the API, WebSockets and the
Cypher console alike. A user holds a role on each project they belong to
(`ProjectMembership`); superusers hold every permission everywhere. The two
site-wide permissions (`system:admin`, `system:metrics`) are Django
permissions on `ProjectMembership`, granted in the admin.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from brain.models import Project, ProjectMembership, ProjectRole

VIEWER, USER, ADMIN = ProjectRole.VIEWER, ProjectRole.USER, ProjectRole.ADMIN

# Spec 10.1's table, with our read-only `viewer` added to the read permissions.
PERMISSIONS: dict[str, frozenset[str]] = {
    "project:read": frozenset({VIEWER, USER, ADMIN}),
    "project:write": frozenset({USER, ADMIN}),
    "project:delete": frozenset({ADMIN}),
    "agent:read": frozenset({VIEWER, USER, ADMIN}),
    "agent:execute": frozenset({USER, ADMIN}),
    "agent:configure": frozenset({ADMIN}),
    "agent:delete": frozenset({ADMIN}),
    "execution:read": frozenset({VIEWER, USER, ADMIN}),
    "execution:cancel": frozenset({USER, ADMIN}),
}
SYSTEM_PERMISSIONS: dict[str, str] = {
    "system:admin": "brain.system_admin",
    "system:metrics": "brain.system_metrics",
}
# The team (agents, tools) is shared by every project, so changing it is not a
# project's decision: asked without a project, these need the Django model
# permission the admin uses for the same change (superusers have it).
TEAM_PERMISSIONS: dict[str, str] = {
    "agent:configure": "agents.change_agent",
    "agent:delete": "agents.delete_agent",
}


class AccessDenied(PermissionDenied):
    """403 that names the missing permission, so the user knows what to ask for."""

    def __init__(self, permission: str, project: Project | None = None) -> None:
        self.permission = permission
        self.project = project
        where = f" on project '{project.slug}'" if project is not None else ""
        super().__init__(f"You need the '{permission}' permission{where}.")


def _known(permission: str) -> None:
    if permission not in PERMISSIONS and permission not in SYSTEM_PERMISSIONS:
        raise ValueError(f"Unknown permission {permission!r}.")


def role_on(user: Any, project: Project) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    # One membership per (project, user); no ORDER BY, which would join the project.
    roles = ProjectMembership.objects.filter(user_id=user.pk, project_id=project.pk).order_by()
    return next(iter(roles.values_list("role", flat=True)[:1]), None)


def has_permission(user: Any, permission: str, project: Project | None = None) -> bool:
    """True if `user` holds `permission` (on `project`, for project permissions).

    Without a project, a project permission asks "on at least one project".
    Inactive projects are visible only to superusers and the project's admins.
    """
    _known(permission)
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if user.is_superuser:
        return True
    if permission in SYSTEM_PERMISSIONS:
        return bool(user.has_perm(SYSTEM_PERMISSIONS[permission]))
    if project is None and permission in TEAM_PERMISSIONS:
        return bool(user.has_perm(TEAM_PERMISSIONS[permission]))
    if project is None:
        return _granting(user, permission).exists()
    role = role_on(user, project)
    if role is None:
        return False
    if not project.is_active and role != ADMIN:
        return False
    return role in PERMISSIONS[permission]


def require(user: Any, permission: str, project: Project | None = None) -> None:
    if not has_permission(user, permission, project):
        raise AccessDenied(permission, project)


def projects_with(user: Any, permission: str = "project:read") -> QuerySet[Project]:
    """The projects on which `user` holds `permission`."""
    _known(permission)
    if permission in SYSTEM_PERMISSIONS:
        raise ValueError("System permissions are not per project.")
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Project.objects.none()
    if user.is_superuser:
        return Project.objects.all()
    # A subquery, not a join: no DISTINCT, and cheap to build on every request.
    return Project.objects.filter(pk__in=_granting(user, permission).values("project_id"))


def _granting(user: Any, permission: str) -> QuerySet[ProjectMembership]:
    """The user's memberships that grant `permission`; inactive projects only to admins."""
    return ProjectMembership.objects.filter(
        Q(project__is_active=True) | Q(role=ADMIN),
        user_id=user.pk,
        role__in=PERMISSIONS[permission],
    ).order_by()


def readable_projects(user: Any) -> QuerySet[Project]:
    return projects_with(user, "project:read")
