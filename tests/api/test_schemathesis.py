"""Schemathesis against /api/schema/: generated requests, as an authenticated superuser,
with the fake LLM server behind any run. No answer may be a 5xx or break the schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.fake_llm import FakeLLMServer

# Bounded so the whole file runs well under two minutes on two cores.
EXAMPLES_PER_OPERATION = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# Building the schema needs settings, not the database; pytest-django has set them up.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# Explicit examples and generated data; the exhaustive coverage phase would take minutes.
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture
def bearer(seeded: None, llm: FakeLLMServer, admin_user: Any) -> Iterator[dict[str, str]]:
    # As Django's test client does: the WSGI handler must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {RefreshToken.for_user(admin_user).access_token}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_request_within_its_schema(
    case: Any, bearer: dict[str, str]
) -> None:
    case.call_and_validate(headers=bearer, checks=CHECKS)
