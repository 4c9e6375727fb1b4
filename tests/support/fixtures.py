"""Pytest fixtures for the fake LLM server; the project conftest star-imports these."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .fake_llm import FakeLLMServer

__all__ = ["fake_llm", "fake_llm_session"]


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A fresh server per test: no scripts, no recorded requests, no latency."""
    with FakeLLMServer() as server:
        yield server


@pytest.fixture(scope="session")
def fake_llm_session() -> Iterator[FakeLLMServer]:
    """One server for the whole run (cheaper); callers must ``reset()`` it themselves."""
    with FakeLLMServer() as server:
        yield server
