"""Fixtures for screenplay tests: a project, and both graph backends for graph tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress

import pytest

from brain.graph import get_backend
from brain.graph.sync import run_blocking
from brain.models import Project
from tests import factories
from tests.brain.conftest import configured_backend  # noqa: F401  (fixture)
from tests.brain.helpers import new_id, wipe


@pytest.fixture
def project(db: None) -> Iterator[Project]:
    made = factories.project(slug=f"keepers-{new_id()[:8]}", name="The Keeper's Lamp")
    yield made
    with suppress(Exception):  # the graph may be a server a test already stopped using
        run_blocking(lambda: wipe(get_backend(), str(made.uid)))
