"""Fixtures for the brain: both graph backends for real, and the process backend switch."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from django.test import override_settings

from brain.graph import reset_backend
from brain.graph.base import GraphBackend
from brain.graph.embedded_backend import EmbeddedBackend
from brain.graph.neo4j_backend import Neo4jBackend
from tests.brain.helpers import wipe
from tests.conftest import service_url


def neo4j_backend() -> Neo4jBackend:
    """The real Neo4j of TEST_NEO4J_URL (skips, or fails under `make test`, without it)."""
    return Neo4jBackend.for_url(
        service_url("neo4j"), password=os.environ.get("TEST_NEO4J_PASSWORD", "")
    )


@pytest.fixture(params=["embedded", "neo4j"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[GraphBackend]:
    """Each contract test runs on both backends. Tests register the project ids they
    write in `backend_projects`; on Neo4j those graphs are wiped afterwards (the
    embedded backend's tables are emptied with the test database)."""
    chosen: GraphBackend = EmbeddedBackend() if request.param == "embedded" else neo4j_backend()
    await chosen.ensure_schema()
    created: list[str] = []
    request.node.backend_projects = created
    yield chosen
    if request.param == "neo4j":
        for project_id in created:
            await wipe(chosen, project_id)


@pytest.fixture(params=["embedded", "neo4j"])
def configured_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Make the product's configured backend (brain.graph.get_backend) embedded or Neo4j,
    through settings, as a deployment would."""
    url = "" if request.param == "embedded" else neo4j_backend().url
    with override_settings(NEO4J_URL=url, NEO4J_PASSWORD=os.environ.get("TEST_NEO4J_PASSWORD", "")):
        reset_backend()
        yield request.param
    reset_backend()
