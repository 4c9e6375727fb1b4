"""API test fixtures: members of projects by role, clients with their credentials,
the fake LLM server for runs, and a clean throttle for every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from agents.runtime import BREAKERS
from brain.models import Project, ProjectMembership
from executions import background
from tests.support.fake_llm import FakeLLMServer

Member = Callable[..., Any]


@pytest.fixture(autouse=True)
def clean_throttle() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def project(seeded: None) -> Project:
    return Project.objects.get(slug="the-lantern-keepers")


@pytest.fixture
def member(db: None) -> Member:
    """member(role, project) -> a user with that role on that project."""
    counter = iter(range(1, 10_000))

    def make(role: str | None, project: Project | None = None, **fields: Any) -> Any:
        user = get_user_model().objects.create_user(
            f"{role or 'nobody'}-{next(counter)}", password="pw-long-enough-1", **fields
        )
        if role is not None and project is not None:
            ProjectMembership.objects.create(project=project, user=user, role=role)
        return user

    return make


def client_for(user: Any) -> APIClient:
    """A client that sends the user's JWT, as an API client would."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def as_role(member: Member, project: Project) -> Callable[[str | None], APIClient]:
    """A member of `project` with `role`. "admin" here also holds the admin's model
    permissions on the shared team (agents.change_agent, agents.delete_agent), which
    configuring agents and tools needs besides a project role (brain.access)."""

    def make(role: str | None) -> APIClient:
        user = member(role, project)
        if role == "admin":
            user.user_permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="agents", codename__in=TEAM_CODENAMES
                )
            )
        return client_for(user)

    return make


TEAM_CODENAMES = ("change_agent", "delete_agent")


@pytest.fixture
def llm(settings: SettingsWrapper, fake_llm: FakeLLMServer) -> Iterator[FakeLLMServer]:
    settings.ALADDIN_DEFAULT_MODEL = "openai/gpt-4o-mini"
    settings.ALADDIN_LLM_API_BASE = fake_llm.base_url
    settings.ALADDIN_LLM_API_KEY = "site-key"
    settings.ALADDIN_LLM_TIMEOUT = 10
    settings.ALADDIN_RETRY_BASE_DELAY = 0.01
    settings.ALADDIN_RETRY_MAX_DELAY = 0.05
    BREAKERS.reset()
    yield fake_llm
    background.wait_idle(timeout=60)
    BREAKERS.reset()
