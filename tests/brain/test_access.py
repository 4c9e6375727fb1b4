"""The RBAC policy (spec 10.1): every role against every permission of the table."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from brain.access import (
    PERMISSIONS,
    AccessDenied,
    has_permission,
    projects_with,
    readable_projects,
    require,
)
from brain.models import ProjectRole
from tests import factories

pytestmark = pytest.mark.django_db

ROLE_CASES = [
    (permission, role, role in allowed)
    for permission, allowed in PERMISSIONS.items()
    for role in ProjectRole.values
]


@pytest.mark.parametrize(("permission", "role", "expected"), ROLE_CASES)
def test_each_role_holds_exactly_the_permissions_of_the_table(
    permission: str, role: str, expected: bool
) -> None:
    project = factories.project()
    who = factories.member(project, role)
    assert has_permission(who, permission, project) is expected


@pytest.mark.parametrize("permission", sorted(PERMISSIONS))
def test_a_member_of_one_project_holds_nothing_on_another(permission: str) -> None:
    mine, theirs = factories.project(), factories.project()
    who = factories.member(mine, "admin")
    assert not has_permission(who, permission, theirs)


def test_anonymous_and_inactive_users_hold_nothing() -> None:
    project = factories.project()
    inactive = factories.member(project, "admin", factories.user(is_active=False))
    assert not has_permission(AnonymousUser(), "project:read", project)
    assert not has_permission(inactive, "project:read", project)
    assert not readable_projects(AnonymousUser()).exists()


def test_superuser_holds_everything_including_system_permissions() -> None:
    boss = factories.user(is_superuser=True)
    project = factories.project(is_active=False)
    assert has_permission(boss, "project:delete", project)
    assert has_permission(boss, "system:admin")
    assert list(readable_projects(boss)) == [project]


def test_system_permissions_come_from_django_permissions_not_project_roles() -> None:
    project = factories.project()
    who = factories.member(project, "admin")
    assert not has_permission(who, "system:admin")
    who.user_permissions.add(Permission.objects.get(codename="system_admin"))
    who = type(who).objects.get(pk=who.pk)  # Django caches permissions per instance
    assert has_permission(who, "system:admin")
    assert not has_permission(who, "system:metrics")


def test_inactive_projects_are_visible_only_to_their_admins() -> None:
    archived = factories.project(is_active=False)
    viewer = factories.member(archived, "viewer")
    admin = factories.member(archived, "admin")
    assert not has_permission(viewer, "project:read", archived)
    assert list(readable_projects(viewer)) == []
    assert list(readable_projects(admin)) == [archived]


def test_projects_with_a_permission_lists_only_projects_where_the_role_grants_it() -> None:
    read_only, runnable = factories.project(), factories.project()
    who = factories.member(read_only, "viewer")
    factories.member(runnable, "user", who)
    assert set(readable_projects(who)) == {read_only, runnable}
    assert list(projects_with(who, "agent:execute")) == [runnable]


def test_require_names_the_missing_permission_and_project() -> None:
    project = factories.project(slug="lantern")
    viewer = factories.member(project, "viewer")
    with pytest.raises(AccessDenied, match="'execution:cancel' permission on project 'lantern'"):
        require(viewer, "execution:cancel", project)


def test_unknown_permissions_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="Unknown permission"):
        has_permission(factories.user(), "project:fly")


@pytest.mark.parametrize(
    ("permission", "codename"),
    [("agent:configure", "change_agent"), ("agent:delete", "delete_agent")],
)
def test_changing_the_shared_team_needs_the_admins_model_permission_not_a_project_role(
    permission: str, codename: str
) -> None:
    project_admin = factories.member(factories.project(), "admin")
    assert has_permission(project_admin, permission, factories.project()) is False
    assert not has_permission(project_admin, permission)  # the team is every project's
    project_admin.user_permissions.add(
        Permission.objects.get(codename=codename, content_type__app_label="agents")
    )
    project_admin = type(project_admin).objects.get(pk=project_admin.pk)
    assert has_permission(project_admin, permission)
