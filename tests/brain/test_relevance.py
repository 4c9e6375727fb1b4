"""Context is chosen by meaning: the canon nearest to a text, with real embeddings."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from brain.models import Character, Project
from brain.relevance import relevant_context
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def names_near(project_id: int, text: str) -> list[str]:
    context = async_to_sync(relevant_context)(project_id, text)
    return [c["name"] for c in context["characters"]]


def villagers_and_a_captain() -> Project:
    """12 bakers' stall-keepers and one trawler captain: only meaning finds him."""
    project = factories.project()
    for index in range(12):
        factories.character(
            project, name=f"Extra {index}", description="A villager who sells bread at the market."
        )
    Character.objects.create(
        project=project,
        name="Captain Ro",
        description="Commands a fishing trawler through winter storms.",
    )
    return project


def test_characters_are_ranked_by_meaning_not_shared_words() -> None:
    project = villagers_and_a_captain()
    ranked = names_near(project.pk, "the skipper of the boat during a gale at sea")
    assert ranked[0] == "Captain Ro"
    assert len(ranked) == 10  # spec 7.2: top 10 characters


def test_named_characters_always_make_the_cut() -> None:
    project = factories.project()
    for index in range(12):
        factories.character(project, name=f"Sailor {index}", description="Works on the boat.")
    factories.character(project, name="Mabel", description="Keeps bees inland.")
    assert "Mabel" in names_near(project.pk, "Mabel argues with the crew of the boat")


def test_an_output_without_telling_words_gets_the_canon_nearest_its_request() -> None:
    # A judge's canon: the output's own words first, then the request's meaning.
    project = villagers_and_a_captain()
    context = async_to_sync(relevant_context)(
        project.pk, "draft seven", meaning_of="the skipper of the boat during a gale at sea"
    )
    assert context["characters"][0]["name"] == "Captain Ro"
