"""One pooled aiohttp session per event loop, for the operator's own endpoints.

The LLM fast path (agents/llm/openai_fast.py) and remote embeddings
(brain/embeddings.py) share it, so a process keeps one connection pool per loop.
User-chosen URLs (HTTP tools, webhooks) never use it: they go through aladdin/egress.py.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Any, Any]] = (
    weakref.WeakKeyDictionary()
)


async def pooled_session() -> aiohttp.ClientSession:
    """One session (connection pool) per event loop, shared by every call on it.

    It is closed when its loop shuts down: a suspended async generator holds it, and
    asyncio.run (like pytest's loops) closes every async generator before the loop.
    """
    loop = asyncio.get_running_loop()
    held = _sessions.get(loop)
    if held is None or held[0].closed:
        # No cap on connections: concurrency is limited by the engine, not the pool.
        connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
        fresh = aiohttp.ClientSession(connector=connector)
        keeper = _close_at_shutdown(fresh)
        await keeper.__anext__()
        held = _sessions[loop] = (fresh, keeper)
    session: aiohttp.ClientSession = held[0]
    return session


async def _close_at_shutdown(session: aiohttp.ClientSession) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await session.close()
