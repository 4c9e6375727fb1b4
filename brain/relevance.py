"""Context chosen by meaning (spec 7.2): the characters and scenes nearest to a text.

The orchestrator prunes the project context for the request, and a judge gets the
canon nearest to the output it grades, so a character's established traits are
what a new output is checked against. Entity vectors are cached by text, so each
character or scene is embedded once per process until it changes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from brain.context import HeldByVersion, load_versioned_context
from brain.embeddings import Embedder, EmbeddingError, default_embedder
from engine.context import (
    WORD,
    Chooser,
    entity_text,
    episode_of,
    episodes_named,
    label_of,
    meaningful_words,
    names_label,
    prune_context,
    records,
)

logger = logging.getLogger(__name__)

# Vectors kept per process, about 1.7 KB each. A ranking reads every character and
# scene of its project, so a project larger than this is re-embedded in part by every
# run (a drain of 1,000 requests outgrew 5,000): 20,000 is about 35 MB.
CACHE_SIZE = 20_000
MAX_CHARACTERS, MAX_SCENES = 10, 5  # spec 7.2
# Past about 500 tokens E5 stops reading, and time grows with length.
QUERY_CHARS = 2000
# Texts whose shared-word counts a ranking keeps (_Ranking.shared_words).
SHARED_KEPT = 4
# The weight of the request's meaning beside an output's words (see relevant_context).
MEANING_TIE = 1e-6
_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
# Texts being embedded now, each with the future that resolves when its vector is in.
_in_flight: dict[str, asyncio.Future[None]] = {}


# The lists of a context that prune_context ranks, by the label key it ranks them with.
LISTS = {"name": "characters", "title": "scenes", "episode": "episodes"}


class _Ranking:
    """One list of a canon (its characters, scenes or episodes) indexed once, so that
    ranking it for a text is Python work only for the entities sharing the text's
    words, plus a few array operations over the list, not Python work per entity: a
    judge ranks the canon for every output, and projects grow to thousands of
    entities. It keeps exactly the entities engine.context._top would keep."""

    def __init__(
        self,
        entities: list[Mapping[str, Any]],
        label_key: str,
        text_of: Callable[[Mapping[str, Any]], str],
    ) -> None:
        self.entities = entities
        self.texts = [text_of(entity) for entity in entities]
        having: dict[str, list[int]] = {}
        for index, text in enumerate(self.texts):
            for word in meaningful_words(text):
                having.setdefault(word, []).append(index)
        self.having = {word: np.asarray(found, dtype=np.intp) for word, found in having.items()}
        self._shared: dict[str, np.ndarray] = {}
        # Who a task names: by episode number, or by a label whose words it all has.
        self.by_episode: dict[Any, list[int]] = {}
        self.wordless: list[tuple[int, str]] = []
        labels: list[tuple[int, str, frozenset[str]]] = []
        for index, entity in enumerate(entities):
            number = episode_of(entity, label_key)
            if isinstance(number, int):
                self.by_episode.setdefault(number, []).append(index)
            needle = label_of(entity, label_key)
            words = WORD.findall(needle) if needle is not None else []
            if needle is not None and words:
                labels.append((index, needle, frozenset(words)))
            elif needle is not None:
                self.wordless.append((index, needle))
        # Each label is filed under its word that fewest labels have: a task names it
        # only if it has all its words, so any one of them finds it, and the rarest
        # keeps labels sharing a common word ("Dr.", a family name) from all being
        # tried for every task that has that word.
        labelled = Counter(word for _, _, words in labels for word in words)
        self.by_rarest_word: dict[str, list[tuple[int, str, frozenset[str]]]] = {}
        for label in labels:
            rarest = min(sorted(label[2]), key=labelled.__getitem__)
            self.by_rarest_word.setdefault(rarest, []).append(label)

    def named(self, task: str) -> np.ndarray:
        """Which entities the task names (engine.context._mentioned, for every entity).
        A label found with word edges has each of its words among the task's, so only
        labels whose words the task has are looked for."""
        found = np.zeros(len(self.entities), dtype=bool)
        for number in episodes_named(task):
            found[self.by_episode.get(number, [])] = True
        lowered = task.lower()
        words = set(WORD.findall(lowered))
        for word in words:
            for index, needle, needed in self.by_rarest_word.get(word, []):
                if not found[index] and needed <= words and names_label(needle, lowered):
                    found[index] = True
        for index, needle in self.wordless:
            found[index] = found[index] or names_label(needle, lowered)
        return found

    def shared_words(self, task: str) -> np.ndarray:
        """engine.context.lexical_similarity of the task with every entity's text,
        read-only. A judge asks twice for one output (whether words decide, then the
        ranking), so the last few answers are kept."""
        found = self._shared.get(task)
        if found is None:
            found = self._count_shared(task)
            found.flags.writeable = False
            # Replaced whole when full, never trimmed in place: a canon is shared by
            # the runs of every event loop of the process.
            kept = self._shared if len(self._shared) < SHARED_KEPT else {}
            self._shared = {**kept, task: found}
        return found

    def _count_shared(self, task: str) -> np.ndarray:
        wanted = meaningful_words(task)
        if not wanted:
            return np.zeros(len(self.entities), dtype=np.float64)
        # One bincount over the indexes of every entity having each word (an entity is
        # listed once per word), not one array update per word of a long output.
        having = [self.having[word] for word in wanted if word in self.having]
        if not having:
            return np.zeros(len(self.entities), dtype=np.float64)
        counts = np.bincount(np.concatenate(having), minlength=len(self.entities))
        return counts.astype(np.float64) / len(wanted)

    def top(self, named: np.ndarray, similarity: np.ndarray, limit: int) -> list[dict[str, Any]]:
        """Named first, then most similar, ties in list order (as _top sorts)."""
        order = np.lexsort((np.arange(len(self.entities)), -similarity, ~named))
        return [dict(self.entities[index]) for index in order[:limit]]


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
        self._rankings: dict[str, _Ranking] = {}

    def ranking(self, label_key: str) -> _Ranking:
        if label_key not in self._rankings:
            entities = records(self.full.get(LISTS[label_key]))
            self._rankings[label_key] = _Ranking(entities, label_key, self.text_of)
        return self._rankings[label_key]

    def chooser(self, cosines: np.ndarray | None = None, *, words: bool = True) -> Chooser:
        """prune_context's `choose` over this canon: by shared words (`words`), plus
        MEANING_TIE times the entities' `cosines` (in ranked_texts() order) if given."""
        characters = len(self.ranking("name").entities)
        by_meaning = {"name": slice(0, characters), "title": slice(characters, None)}

        def choose(
            entities: Sequence[Mapping[str, Any]], task: str, limit: int, label_key: str
        ) -> list[dict[str, Any]]:
            ranking = self.ranking(label_key)
            if len(entities) != len(ranking.entities):
                raise ValueError("A canon's chooser ranks only that canon's own lists.")
            count = len(ranking.entities)
            similarity = ranking.shared_words(task) if words else np.zeros(count)
            if cosines is not None:  # episodes are not chosen by meaning
                meaning = cosines[by_meaning[label_key]] if label_key in by_meaning else 0.0
                similarity = similarity + (MEANING_TIE if words else 1.0) * meaning
            return ranking.top(ranking.named(task), similarity, limit)

        return choose

    def ranked_texts(self) -> list[str]:
        """The texts of the characters, then the scenes: the entities chosen by meaning."""
        return [*self.ranking("name").texts, *self.ranking("title").texts]

    async def passage_rows(self, embedder: Embedder) -> np.ndarray:
        """The unit rows of ranked_texts() as one matrix, stacked once per embedder."""
        if embedder.name not in self._rows:
            self._rows[embedder.name] = await _passage_vectors(embedder, self.ranked_texts())
        return self._rows[embedder.name]

    def text_of(self, entity: Mapping[str, Any]) -> str:
        # Keyed by identity: the entities are those of self.full, alive as long as it is.
        found = self._texts.get(id(entity))
        return entity_text(entity) if found is None else found


# The canon of each project's current context version, shared by the runs that read
# it: its texts, word indexes and vector matrix are made once per version, not per run.
_canons: HeldByVersion[Canon] = HeldByVersion()


async def load_canon(project_id: int) -> Canon:
    version, context = await load_versioned_context(project_id)
    return _canons.get(project_id, version) or _canons.put(project_id, version, Canon(context))


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
    if not needs_choosing(full):
        return prune(full, text)  # everything fits
    if lexical_pass_decides(canon, text):
        # The text's own words already pick what to keep: no embedding is needed to
        # choose what to leave out.
        return prune(full, text, choose=canon.chooser())
    embedder = embedder or default_embedder()
    try:
        vectors = await canon.passage_rows(embedder)
        query = await embedder.embed_query((meaning_of or text)[:QUERY_CHARS])
    except EmbeddingError as exc:
        # A remote embedding endpoint that is down costs the ranking its tie-breaks,
        # not the judge or the run.
        logger.warning("Canon ranked by shared words only: %s", exc)
        return prune(full, text, choose=canon.chooser())
    scores = cosines(query, vectors)
    # With meaning_of, cosines lie in [-1, 1]: scaled down by MEANING_TIE they only
    # order entities whose shared words tie, however long `text` is.
    return prune(full, text, choose=canon.chooser(scores, words=meaning_of is not None))


def lexical_pass_decides(canon: Canon, text: str) -> bool:
    """True when shared words alone rank every over-full list unambiguously: the last
    entity kept matches some of the text's words, and strictly more than the first one
    left out. Otherwise meaning has to break the tie, and the caller embeds."""
    for label_key, limit in (("name", MAX_CHARACTERS), ("title", MAX_SCENES)):
        ranking = canon.ranking(label_key)
        if len(ranking.entities) <= limit:
            continue
        scores = np.sort(ranking.shared_words(text))[::-1]
        if limit == 0 or scores[limit - 1] <= 0 or scores[limit - 1] <= scores[limit]:
            return False
    return True


def needs_choosing(context: dict[str, Any]) -> bool:
    return (
        len(context.get("characters", [])) > MAX_CHARACTERS
        or len(context.get("scenes", [])) > MAX_SCENES
    )


async def _passage_vectors(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    """One unit-length float32 row per text, embedded at most once per process while
    the cache holds it."""
    found = await _vectors_for(embedder, embedder.name + "\x00", set(texts))
    rows = [found[text] for text in texts]
    return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


async def _vectors_for(embedder: Embedder, key: str, texts: set[str]) -> dict[str, np.ndarray]:
    """Each text's vector, from the cache or embedded now. A text another caller is
    embedding right now is waited for, not embedded again: an orchestration's judges
    start together and find the same new canon entities missing at once (20 requests
    had embedded each new character 20 times). The caller keeps what it found as it
    goes: other callers evict from the cache meanwhile, and a canon larger than the
    cache would otherwise lose vectors before they were read."""
    loop = asyncio.get_running_loop()
    found: dict[str, np.ndarray] = {}
    mine: list[str] = []
    others: set[asyncio.Future[None]] = set()
    for text in sorted(texts):
        cached = _vectors.get(key + text)
        if cached is not None:
            _vectors.move_to_end(key + text)
            found[text] = cached
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
                found[text] = _vectors[key + text] = _unit(vector)
        finally:
            for text in mine:
                if _in_flight.get(key + text) is done:
                    del _in_flight[key + text]
            done.set_result(None)
    if others:
        await asyncio.wait(others)  # not gather: this caller's cancellation stays its own
        # Read now what the others embedded; whatever they failed at, or the cache has
        # dropped since, is looked up (or embedded) again.
        found.update(await _vectors_for(embedder, key, texts - found.keys()))
    while len(_vectors) > CACHE_SIZE:
        _vectors.popitem(last=False)
    return found


def _unit(vector: Sequence[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm else array


def cosines(query: Sequence[float], unit_rows: np.ndarray) -> np.ndarray:
    """Cosine of `query` with each unit-length row, as one matrix product (pure Python
    loops over 384 dimensions cost more CPU than the LLM client, per judged output)."""
    if not len(unit_rows):
        return np.zeros(0)
    return (unit_rows @ _unit(query)).astype(np.float64)
