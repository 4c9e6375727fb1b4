"""A canon's own ranking (brain.relevance.Canon.chooser) keeps exactly what
engine.context.prune_context's generic ranking keeps, on random contexts built to
tie, to name entities by label and by episode number, and to share words."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from brain.relevance import MEANING_TIE, Canon, lexical_pass_decides
from engine.context import lexical_against, lexical_similarity, prune_context

WORDS = ["harbour", "lamp", "storm", "keeper", "captain", "o'neil", "zoë", "dr.", "the", "a", "x"]


def phrase(rng: random.Random, most: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, most)))


def label(rng: random.Random) -> Any:
    return rng.choice([phrase(rng, 3), phrase(rng, 2).title(), "", "  ", None, 7, "???"])


def context(rng: random.Random) -> dict[str, Any]:
    def number() -> Any:
        return rng.choice([1, 2, 3, True, "2", None])

    characters = [
        {"id": f"c{i}", "name": label(rng), "description": phrase(rng, 6)}
        for i in range(rng.randint(0, 25))
    ]
    scenes = [
        {"id": f"s{i}", "title": label(rng), "episode": number(), "description": phrase(rng, 5)}
        for i in range(rng.randint(0, 15))
    ]
    # An episode's text is never a character's or a scene's: the generic ranking below
    # looks cosines up by text, the canon's by position.
    episodes = [
        {
            "id": f"e{i}",
            "number": number(),
            "title": label(rng),
            "synopsis": f"ep{i} " + phrase(rng, 4),
        }
        for i in range(rng.randint(0, 8))
    ]
    return {
        "project": {"name": "P"},
        "characters": characters,
        "scenes": scenes,
        "episodes": episodes,
        "relationships": [],
    }


def task(rng: random.Random, full: dict[str, Any]) -> str:
    parts = [phrase(rng, 8), rng.choice(["", "episode 2", "Ep. 3", "episode 1 and ep 2"])]
    names = [c["name"] for c in full["characters"] if isinstance(c["name"], str)]
    if names:
        parts.append(rng.choice(names).upper())
    rng.shuffle(parts)
    return ", ".join(parts)


def kept(result: dict[str, Any]) -> list[list[str]]:
    return [[e["id"] for e in result[key]] for key in ("characters", "scenes", "episodes")]


def pruned(full: dict[str, Any], text: str, **ranking: Any) -> list[list[str]]:
    return kept(
        prune_context(full, text, max_characters=4, max_scenes=3, max_episodes=2, **ranking)
    )


def random_case(seed: int) -> tuple[random.Random, dict[str, Any], str, Canon]:
    """A random context, a task over it and its canon, all from `seed`."""
    rng = random.Random(seed)
    full = context(rng)
    return rng, full, task(rng, full), Canon(full)


@pytest.mark.parametrize("seed", range(300))
def test_the_canon_ranking_keeps_what_the_generic_ranking_keeps(seed: int) -> None:
    rng, full, text, canon = random_case(seed)
    texts = canon.ranked_texts()
    scores = {t: rng.choice([0.0, 0.5, -0.25, rng.uniform(-1, 1)]) for t in texts}
    cosines = np.array([scores[t] for t in texts])  # one text, one vector, one cosine
    words = lexical_against(text)

    def generic(similarity: Any) -> list[list[str]]:
        return pruned(full, text, similarity=similarity, text_of=canon.text_of)

    def own(**kwargs: Any) -> list[list[str]]:
        return pruned(full, text, choose=canon.chooser(**kwargs))

    assert own() == generic(None)
    assert own(cosines=cosines, words=False) == generic(lambda _task, t: scores.get(t, 0.0))
    assert own(cosines=cosines) == generic(
        lambda task, t: words(task, t) + MEANING_TIE * scores.get(t, 0.0)
    )


@pytest.mark.parametrize("seed", range(100))
def test_the_lexical_pass_decides_as_it_did_entity_by_entity(seed: int) -> None:
    _, full, text, canon = random_case(seed)

    def by_entity() -> bool:
        for key, limit in (("characters", 10), ("scenes", 5)):
            entities = full[key]
            if len(entities) <= limit:
                continue
            scores = sorted(
                (lexical_similarity(text, canon.text_of(e)) for e in entities), reverse=True
            )
            if scores[limit - 1] <= 0 or scores[limit - 1] <= scores[limit]:
                return False
        return True

    assert lexical_pass_decides(canon, text) is by_entity()


def test_a_chooser_refuses_a_list_that_is_not_its_canons() -> None:
    canon = Canon({"characters": [{"id": "c1", "name": "Ida"}]})
    with pytest.raises(ValueError, match="own lists"):
        canon.chooser()([], "Ida", 1, "name")


@pytest.mark.parametrize("seed", range(50))
def test_shared_words_are_each_entitys_lexical_similarity_and_kept_read_only(seed: int) -> None:
    rng, _, text, canon = random_case(seed)
    ranking = canon.ranking("name")
    counts = ranking.shared_words(text)
    expected = [lexical_similarity(text, canon.text_of(c)) for c in ranking.entities]
    assert counts.tolist() == pytest.approx(expected)
    assert ranking.shared_words(text) is counts  # asked again: not counted again
    with pytest.raises(ValueError):
        counts[:] = 0.0
    for _ in range(5):  # other texts push it out; it is counted again, the same
        ranking.shared_words(phrase(rng, 8))
    assert ranking.shared_words(text).tolist() == counts.tolist()
