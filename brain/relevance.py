"""Context chosen by meaning (spec 7.2): the characters and scenes nearest to a text.

The orchestrator prunes the project context for the request, and a judge gets the
canon nearest to the output it grades, so a character's established traits are
what a new output is checked against. Entity vectors are cached by text, so each
character or scene is embedded once per process until it changes.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from brain.context import load_project_context
from brain.embeddings import Embedder, default_embedder
from engine.context import entity_text, prune_context

CACHE_SIZE = 5000
MAX_CHARACTERS, MAX_SCENES = 10, 5  # spec 7.2
# Past about 500 tokens E5 stops reading, and time grows with length.
QUERY_CHARS = 2000
_vectors: OrderedDict[str, list[float]] = OrderedDict()


async def relevant_context(
    project_id: int, text: str, *, embedder: Embedder | None = None
) -> dict[str, Any]:
    full = await load_project_context(project_id)
    if not needs_choosing(full):
        # Everything fits: no embedding needed to choose what to leave out.
        return prune_context(full, text)
    embedder = embedder or default_embedder()
    entities = [*full.get("characters", []), *full.get("scenes", [])]
    texts = [entity_text(entity) for entity in entities]
    vectors = await _passage_vectors(embedder, texts)
    query = await embedder.embed_query(text[:QUERY_CHARS])
    scores = {t: cosine(query, vector) for t, vector in zip(texts, vectors, strict=True)}
    return prune_context(
        full,
        text,
        similarity=lambda _task, t: scores.get(t, 0.0),
        max_characters=MAX_CHARACTERS,
        max_scenes=MAX_SCENES,
    )


def needs_choosing(context: dict[str, Any]) -> bool:
    return (
        len(context.get("characters", [])) > MAX_CHARACTERS
        or len(context.get("scenes", [])) > MAX_SCENES
    )


async def _passage_vectors(embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
    key = embedder.name + "\x00"
    missing = sorted({t for t in texts if key + t not in _vectors})
    for found_text, vector in zip(missing, await embedder.embed_passages(missing), strict=True):
        _vectors[key + found_text] = vector
    result = []
    for t in texts:
        _vectors.move_to_end(key + t)
        result.append(_vectors[key + t])
    while len(_vectors) > CACHE_SIZE:
        _vectors.popitem(last=False)
    return result


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
