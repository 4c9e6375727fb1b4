"""Start-up objects leave the garbage collector; later garbage is still collected."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from agents.llm.client import warm_up_in_background
from aladdin.heap import freeze_start_up_objects


class Node:
    def __init__(self) -> None:
        self.loop: Node | None = None


@pytest.fixture
def thawed_afterwards() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


@pytest.mark.usefixtures("thawed_afterwards")
def test_start_up_objects_are_frozen_and_later_cycles_are_still_collected() -> None:
    long_lived = Node()
    freeze_start_up_objects()

    assert gc.get_freeze_count() > 0
    assert not any(obj is long_lived for obj in gc.get_objects())  # out of every collection

    made_later = Node()
    made_later.loop = made_later  # a cycle only the collector can free
    probe = weakref.ref(made_later)
    del made_later
    gc.collect()
    assert probe() is None


def test_the_server_warm_up_runs_its_follow_up_once_litellm_is_imported() -> None:
    imported = threading.Event()

    def follow_up() -> None:
        from agents.llm import client

        assert client._litellm is not None
        imported.set()

    warm_up_in_background(then=follow_up)
    assert imported.wait(timeout=60)
