"""Running test code in threads of its own (each with its own database connection)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any


def run_in_threads(target: Callable[..., Any], args: Iterable[tuple[Any, ...]]) -> None:
    """`target(*a)` in a thread for each `a` of `args`, all started before any is
    waited for; returns when every one has ended."""
    threads = [threading.Thread(target=target, args=a) for a in args]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
