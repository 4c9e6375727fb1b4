"""Start-up objects leave the garbage collector; later garbage is still collected."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from agents.llm.client import litellm_needed_at_start, warm_up_in_background
from aladdin.heap import freeze_start_up_objects
from aladdin.settings import DEMO_MODEL


class Node:
    def __init__(self) -> None:
        self.loop: Node | None = None


@pytest.fixture
def thawed_afterwards() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()  # the rest of the test session collects as usual
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("thawed_afterwards")
def test_start_up_objects_are_frozen_and_later_cycles_are_still_collected() -> None:
    long_lived = Node()
    freeze_start_up_objects()

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (10_000, 20, 20)  # young objects collected less often
    assert not any(obj is long_lived for obj in gc.get_objects())  # out of every collection

    made_later = Node()
    made_later.loop = made_later  # a cycle only the collector can free
    probe = weakref.ref(made_later)
    del made_later
    gc.collect()
    assert probe() is None


def test_the_server_warm_up_imports_litellm_then_runs_its_follow_up(settings: Any) -> None:
    settings.ALADDIN_LLM_CLIENT = "litellm"
    imported = threading.Event()

    def follow_up() -> None:
        from agents.llm import client

        assert client._litellm is not None
        imported.set()

    warm_up_in_background(then=follow_up)
    assert imported.wait(timeout=60)


@pytest.mark.parametrize(
    ("client", "model", "needed"),
    [
        ("fast", "openai/gpt-4o-mini", False),
        ("fast", "openrouter/anthropic/claude-3.5-sonnet", False),
        ("fast", "anthropic/claude-3-5-sonnet-latest", True),
        ("fast", DEMO_MODEL, True),
        ("litellm", "openai/gpt-4o-mini", True),
    ],
)
def test_litellm_is_imported_at_start_only_for_a_default_model_it_serves(
    settings: Any, client: str, model: str, needed: bool
) -> None:
    settings.ALADDIN_LLM_CLIENT, settings.ALADDIN_DEFAULT_MODEL = client, model
    assert litellm_needed_at_start() is needed
