"""Context pruning (spec 7.2): send an agent only the project data its task needs.

A project's full context (every episode, scene and character) quickly outgrows
an agent's input budget (spec 7.1), so episodes, scenes and characters are
ranked by relevance to the task and only the top few are kept. An episode the
task names ("episode 2") comes first, and so do its scenes. The default ranking is
lexical and free; a caller may pass a semantic `similarity` (embeddings)
instead. Where the spec asks an LLM to pick entities, we rank locally: it is
deterministic and spends no tokens.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from engine.held import HeldByIdentity

Similarity = Callable[[str, str], float]
# Picks the best `limit` of a list of entities for a task; called with the list, the
# task, the limit and the label key ("name", "title" or "episode"). Must pick as _top does.
Chooser = Callable[[Sequence[Mapping[str, Any]], str, int, str], list[dict[str, Any]]]

WORD: Final = re.compile(r"\w+")
# Words that would make every entity look relevant to every task.
_STOPWORD_TEXT: Final = """
a an and are as at be by for from has have he her his in is it its of on or she that the
their them they this to was were will with write create make about into we you our your new
"""
_STOPWORDS: Final = frozenset(_STOPWORD_TEXT.split())
# Keys that name a relationship's two characters, by common convention.
_ENDPOINT_KEYS: Final = (("from", "to"), ("source", "target"), ("character_a", "character_b"))


def meaningful_words(text: str) -> frozenset[str]:
    """The words lexical similarity counts: lower-cased, no stopwords or single letters."""
    return frozenset(
        word for word in WORD.findall(text.lower()) if len(word) > 1 and word not in _STOPWORDS
    )


# Cached: every judge of an orchestration ranks the same characters and scenes.
_tokens = functools.lru_cache(maxsize=4096)(meaningful_words)


def lexical_similarity(task: str, text: str) -> float:
    """Share of the task's meaningful words that `text` contains (0..1)."""
    wanted = _tokens(task)
    if not wanted:
        return 0.0
    return len(wanted & _tokens(text)) / len(wanted)


def lexical_against(task: str) -> Similarity:
    """lexical_similarity with the task's words counted once, not once per entity."""
    wanted = _tokens(task)

    def similarity(_: str, text: str) -> float:
        return len(wanted & _tokens(text)) / len(wanted) if wanted else 0.0

    return similarity


def _flatten(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _flatten(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _flatten(item)


def entity_text(entity: Mapping[str, Any]) -> str:
    """The text a similarity function is asked about for one character or scene."""
    return " ".join(_flatten({key: value for key, value in entity.items() if key != "id"}))


_EPISODE_NUMBER: Final = re.compile(r"\b(?:episode|ep\.?)\s*(\d+)\b", re.IGNORECASE)


def episodes_named(task: str) -> set[int]:
    return {int(number) for number in _EPISODE_NUMBER.findall(task)}


def episode_of(entity: Mapping[str, Any], label_key: str) -> Any:
    """The episode number that names this entity: an episode's own, a scene's episode."""
    return entity.get("number" if label_key == "episode" else "episode")


def label_of(entity: Mapping[str, Any], label_key: str) -> str | None:
    """The lower-cased name or title a task names this entity by, if it has one."""
    label = entity.get("title" if label_key == "episode" else label_key)
    if not isinstance(label, str) or not label.strip():
        return None
    return label.strip().lower()


def names_label(needle: str, lowered_task: str) -> bool:
    """Whether the lower-cased task has `needle` with no word character either side."""
    if needle not in lowered_task:  # the cheap test first; the pattern checks word edges
        return False
    pattern = r"(?<!\w)" + re.escape(needle) + r"(?!\w)"
    return re.search(pattern, lowered_task) is not None


def _mentioned(
    entity: Mapping[str, Any], label_key: str, lowered_task: str, named_episodes: set[int]
) -> bool:
    number = episode_of(entity, label_key)
    if isinstance(number, int) and number in named_episodes:
        return True  # the episode itself, or one of its scenes
    needle = label_of(entity, label_key)
    return needle is not None and names_label(needle, lowered_task)


def _top(
    entities: Sequence[Mapping[str, Any]],
    task: str,
    similarity: Similarity,
    limit: int,
    label_key: str,
    text_of: Callable[[Mapping[str, Any]], str] = entity_text,
) -> list[dict[str, Any]]:
    """Best `limit` entities: named in the task first, then most similar;
    ties keep their original order."""

    named_episodes = episodes_named(task)
    lowered = task.lower()

    def rank(indexed: tuple[int, Mapping[str, Any]]) -> tuple[bool, float, int]:
        index, entity = indexed
        named = _mentioned(entity, label_key, lowered, named_episodes)
        return (not named, -similarity(task, text_of(entity)), index)

    ranked = sorted(enumerate(entities), key=rank)
    return [dict(entity) for _, entity in ranked[:limit]]


def records(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list | tuple):
        return []
    # `type(...) is dict` first: a context's entities are dicts, and the check against
    # the Mapping ABC costs ten times more, for every entity of every judged output.
    return [item for item in value if type(item) is dict or isinstance(item, Mapping)]


def _endpoints(relationship: Mapping[str, Any]) -> tuple[Any, Any] | None:
    for first, second in _ENDPOINT_KEYS:
        if first in relationship and second in relationship:
            return relationship[first], relationship[second]
    pair = relationship.get("characters")
    if isinstance(pair, list | tuple) and len(pair) == 2:
        return pair[0], pair[1]
    return None


def _identity_keys(characters: Sequence[Mapping[str, Any]]) -> set[str]:
    """Ids and (lowercased) names: relationships may refer to either."""
    keys: set[str] = set()
    for character in characters:
        for key in ("id", "name"):
            value = character.get(key)
            if value is not None:
                keys.add(str(value).strip().lower())
    return keys


def _relationships_between(
    relationships: Any, characters: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The relationships whose two ends are both among `characters`, in their order.
    Looked up by end in an index made once per relationships list: a judge prunes the
    same project context again and again, and scanning every relationship of a large
    project each time grew with the project."""
    kept = _identity_keys(characters)
    index = _relationship_indexes.get(relationships)
    found: dict[int, Mapping[str, Any]] = {}
    for key in kept:
        for position, relationship, ends in index.get(key, ()):
            if ends <= kept:
                found[position] = relationship
    return [dict(found[position]) for position in sorted(found)]


_Indexed = list[tuple[int, Mapping[str, Any], frozenset[str]]]


def _index_by_end(relationships: Any) -> dict[str, _Indexed]:
    index: dict[str, _Indexed] = {}
    for position, relationship in enumerate(records(relationships)):
        pair = _endpoints(relationship)
        if not pair:
            continue
        ends = frozenset(str(end).strip().lower() for end in pair)
        for end in ends:
            index.setdefault(end, []).append((position, relationship, ends))
    return index


# The end index of each relationships list still in use (contexts are shared).
_relationship_indexes: HeldByIdentity[dict[str, _Indexed]] = HeldByIdentity(_index_by_end)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _summary(episodes: int, scenes: int, characters: int, kept_c: int, kept_s: int) -> str:
    totals = ", ".join(
        [_count(episodes, "episode"), _count(scenes, "scene"), _count(characters, "character")]
    )
    return (
        f"{totals}; showing top {_count(kept_c, 'character')} and "
        f"{_count(kept_s, 'scene')} by relevance to the task"
    )


def prune_context(
    context: Mapping[str, Any],
    task: str,
    *,
    similarity: Similarity | None = None,
    max_characters: int = 10,
    max_scenes: int = 5,
    max_episodes: int = 3,
    text_of: Callable[[Mapping[str, Any]], str] = entity_text,
    choose: Chooser | None = None,
) -> dict[str, Any]:
    """The project, the most relevant episodes, scenes and characters, the
    relationships among the kept characters, and a one-line summary of what was
    left out. `text_of` gives an entity's text (a caller ranking one context many
    times passes its texts made once); `choose`, instead of `similarity` and
    `text_of`, is such a caller's own ranking, which must keep what they would."""
    if max_characters < 0 or max_scenes < 0 or max_episodes < 0:
        raise ValueError("max_characters, max_scenes and max_episodes must be >= 0")
    if choose is None:
        score = similarity or lexical_against(task)

        def choose(
            entities: Sequence[Mapping[str, Any]], task: str, limit: int, label_key: str
        ) -> list[dict[str, Any]]:
            return _top(entities, task, score, limit, label_key, text_of)

    characters = records(context.get("characters"))
    scenes = records(context.get("scenes"))
    kept_characters = choose(characters, task, max_characters, "name")
    kept_scenes = choose(scenes, task, max_scenes, "title")
    episodes = records(context.get("episodes"))
    kept_episodes = choose(episodes, task, max_episodes, "episode")
    project = context.get("project")
    return {
        "project": dict(project) if isinstance(project, Mapping) else {},
        "episodes": kept_episodes,
        "characters": kept_characters,
        "scenes": kept_scenes,
        "relationships": _relationships_between(context.get("relationships"), kept_characters),
        "summary": _summary(
            len(episodes),
            len(scenes),
            len(characters),
            len(kept_characters),
            len(kept_scenes),
        ),
    }
