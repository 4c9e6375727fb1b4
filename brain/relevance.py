"""Context chosen by meaning (spec 7.2): the characters and scenes nearest to a text.

The orchestrator prunes the project context for the request, and a judge gets the
canon nearest to the output it grades, so a character's established traits are
what a new output is checked against. Entity vectors are cached by text, so each
character or scene is embedded once per process until it changes.
"""

from __future__ import annotations

import asyncio
import functools
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from brain.context import load_project_context
from brain.embeddings import Embedder, default_embedder
from engine.context import entity_text, lexical_against, lexical_similarity, prune_context

CACHE_SIZE = 5000
MAX_CHARACTERS, MAX_SCENES = 10, 5  # spec 7.2
# Past about 500 tokens E5 stops reading, and time grows with length.
QUERY_CHARS = 2000
# The weight of the request's meaning beside an output's words (see relevant_context).
MEANING_TIE = 1e-6
_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
# Texts being embedded now, each with the future that resolves when its vector is in.
_in_flight: dict[str, asyncio.Future[None]] = {}


class Canon:
    """One project's context as one run reads it: loaded once, with each character's,
    scene's and episode's text made once, since every judge of the run ranks them."""

    def __init__(self, full: dict[str, Any]) -> None:
        self.full = full
        self._texts = {
            id(entity): entity_text(entity)
            for key in ("characters", "scenes", "episodes")
            for entity in full.get(key) or []
            if isinstance(entity, dict)
        }
        self._rows: dict[str, np.ndarray] = {}

    def ranked_texts(self) -> list[str]:
        """The texts of the characters and scenes, the entities chosen by meaning."""
        entities = [*self.full.get("characters", []), *self.full.get("scenes", [])]
        return [self.text_of(entity) for entity in entities]

    async def passage_rows(self, embedder: Embedder) -> np.ndarray:
        """The unit rows of ranked_texts() as one matrix, stacked once per embedder."""
        if embedder.name not in self._rows:
            self._rows[embedder.name] = await _passage_vectors(embedder, self.ranked_texts())
        return self._rows[embedder.name]

    def text_of(self, entity: Mapping[str, Any]) -> str:
        # Keyed by identity: the entities are those of self.full, alive as long as it is.
        found = self._texts.get(id(entity))
        return entity_text(entity) if found is None else found


async def load_canon(project_id: int) -> Canon:
    return Canon(await load_project_context(project_id))


async def take_document_vectors(
    project_id: int,
    documents: Mapping[str, Sequence[float]],
    *,
    embedder: Embedder | None = None,
) -> int:
    """Cache the vectors just made for brain documents (by entity id: the graph node
    id, which the canon's entities carry as "id") as their canon entities' vectors;
    how many were taken.

    A document's text is its entity's text with its type, summary and themes, so its
    vector stands for the entity as it is now: each new entity is embedded once, not
    once for its document and once more by the next run's first ranking (before its
    plan, on its critical path). An entity changed since has other text, and is
    embedded as before when a ranking needs it."""
    embedder = embedder or default_embedder()
    canon = await load_canon(project_id)
    if not needs_choosing(canon.full):
        return 0  # no ranking reads vectors
    prefix, taken = embedder.name + "\x00", 0
    for entity in [*canon.full.get("characters", []), *canon.full.get("scenes", [])]:
        vector = documents.get(str(entity.get("id")))
        if vector is None or len(vector) != embedder.dimensions:
            continue
        _vectors.setdefault(prefix + canon.text_of(entity), _unit(vector))
        taken += 1
    return taken


async def relevant_context(
    project_id: int,
    text: str,
    *,
    meaning_of: str | None = None,
    embedder: Embedder | None = None,
    canon: Canon | None = None,
) -> dict[str, Any]:
    """The project's characters and scenes nearest to `text`. A caller asking many
    times (an orchestration's judges) passes the canon it loaded once.

    With `meaning_of` (a judged output's request), entities are ranked by the words
    they share with `text` first, and by nearness in meaning to `meaning_of` after:
    the request is embedded once (its vector is cached) where ranking each output by
    its own meaning cost one embedding per output, up to 500 tokens each."""
    canon = canon or await load_canon(project_id)
    full = canon.full
    prune = functools.partial(
        prune_context,
        max_characters=MAX_CHARACTERS,
        max_scenes=MAX_SCENES,
        text_of=canon.text_of,
    )
    if not needs_choosing(full) or lexical_pass_decides(full, text, canon.text_of):
        # Everything fits, or the text's own words already pick what to keep: no
        # embedding is needed to choose what to leave out.
        return prune(full, text)
    embedder = embedder or default_embedder()
    texts = canon.ranked_texts()
    vectors = await canon.passage_rows(embedder)
    query = await embedder.embed_query((meaning_of or text)[:QUERY_CHARS])
    scores = dict(zip(texts, cosines(query, vectors), strict=True))
    if meaning_of is None:
        return prune(full, text, similarity=lambda _task, t: scores.get(t, 0.0))
    words = lexical_against(text)
    # Cosines lie in [-1, 1]: scaled this far down they only order entities whose
    # shared words tie, however long `text` is.
    return prune(
        full, text, similarity=lambda task, t: words(task, t) + MEANING_TIE * scores.get(t, 0.0)
    )


def lexical_pass_decides(
    context: dict[str, Any],
    text: str,
    text_of: Callable[[Mapping[str, Any]], str] = entity_text,
) -> bool:
    """True when shared words alone rank every over-full list unambiguously: the last
    entity kept matches some of the text's words, and strictly more than the first one
    left out. Otherwise meaning has to break the tie, and the caller embeds."""
    for key, limit in (("characters", MAX_CHARACTERS), ("scenes", MAX_SCENES)):
        entities = context.get(key, [])
        if len(entities) <= limit:
            continue
        scores = sorted((lexical_similarity(text, text_of(e)) for e in entities), reverse=True)
        if limit == 0 or scores[limit - 1] <= 0 or scores[limit - 1] <= scores[limit]:
            return False
    return True


def needs_choosing(context: dict[str, Any]) -> bool:
    return (
        len(context.get("characters", [])) > MAX_CHARACTERS
        or len(context.get("scenes", [])) > MAX_SCENES
    )


async def _passage_vectors(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """One unit-length float32 row per text, embedded at most once per process."""
    key = embedder.name + "\x00"
    await _embed_missing(embedder, key, set(texts))
    rows = []
    for t in texts:
        _vectors.move_to_end(key + t)
        rows.append(_vectors[key + t])
    while len(_vectors) > CACHE_SIZE:
        _vectors.popitem(last=False)
    return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


async def _embed_missing(embedder: Embedder, key: str, texts: set[str]) -> None:
    """Embed the texts not cached yet. A text another caller is embedding right now
    is waited for, not embedded again: an orchestration's judges start together and
    find the same new canon entities missing at once (20 requests had embedded each
    new character 20 times)."""
    loop = asyncio.get_running_loop()
    mine: list[str] = []
    others: set[asyncio.Future[None]] = set()
    for text in sorted(texts):
        if key + text in _vectors:
            continue
        pending = _in_flight.get(key + text)
        if pending is not None and pending.get_loop() is loop:
            others.add(pending)
        else:
            mine.append(text)
    if mine:
        done = loop.create_future()
        _in_flight.update(dict.fromkeys((key + text for text in mine), done))
        try:
            vectors = await embedder.embed_passages(mine)
            for text, vector in zip(mine, vectors, strict=True):
                _vectors[key + text] = _unit(vector)
        finally:
            for text in mine:
                if _in_flight.get(key + text) is done:
                    del _in_flight[key + text]
            done.set_result(None)
    if others:
        await asyncio.wait(others)  # not gather: this caller's cancellation stays its own
        # The caller that embedded them failed or was cancelled: embed what is left.
        await _embed_missing(embedder, key, {t for t in texts if key + t not in _vectors})


def _unit(vector: Sequence[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm else array


def cosines(query: Sequence[float], unit_rows: np.ndarray) -> list[float]:
    """Cosine of `query` with each unit-length row, as one matrix product (pure Python
    loops over 384 dimensions cost more CPU than the LLM client, per judged output)."""
    if not len(unit_rows):
        return []
    return [float(d) for d in unit_rows @ _unit(query)]
