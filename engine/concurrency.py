"""Running sibling tasks so that one fatal error stops them all, cleanly.

asyncio.TaskGroup cancels the siblings of a failed task (what a budget stop or
a cancellation needs) but reports failures as an ExceptionGroup; callers here
want the first real error, so it is unwrapped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def first_error(group: BaseExceptionGroup[Any]) -> BaseException:
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return first_error(error)
        return error
    return group


async def run_all(
    coroutines: Sequence[Coroutine[Any, Any, T]],
    *,
    limit: int | None = None,
    names: Sequence[str] | None = None,
    tasks: dict[str, asyncio.Task[T]] | None = None,
) -> list[T]:
    """Results in order; the first failure cancels the rest and is raised as itself.

    `tasks`, when given, receives each task under its name so callers can cancel
    one of them on its own.
    """
    semaphore = asyncio.Semaphore(limit) if limit else None

    async def bounded(coroutine: Coroutine[Any, Any, T]) -> T:
        if semaphore is None:
            return await coroutine
        async with semaphore:
            return await coroutine

    try:
        async with asyncio.TaskGroup() as group:
            started = [group.create_task(bounded(c)) for c in coroutines]
            if tasks is not None and names is not None:
                tasks.update(zip(names, started, strict=True))
    except BaseExceptionGroup as errors:
        raise first_error(errors) from None
    return [task.result() for task in started]
