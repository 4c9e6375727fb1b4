"""The demo project's own script: seeded once, matched to the canon, and ready for the
continuity report and the bible on the embedded default."""

from __future__ import annotations

import pytest

from aladdin.seeding import seed_all
from brain.models import Character, Project, SceneAppearance
from screenplay.exports import export
from screenplay.models import ContinuityWarning, ScriptImport

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_script_is_seeded_once_and_matched_to_the_canon(seeded: None) -> None:
    project = Project.objects.get(slug="the-lantern-keepers")
    seed_all()
    assert ScriptImport.objects.filter(project=project).count() == 1
    episode_three = SceneAppearance.objects.filter(scene__episode__episode_number=3)
    names = set(episode_three.values_list("character__name", flat=True))
    assert names == {
        "Isla Marrow", "Tobias Marrow", "Agnes Pell", "Corwin Hale", "Ruan Okafor", "Wren",
        "Ferry Passenger",
    }  # fmt: skip
    assert not Character.objects.filter(project=project, name__in=["Isla", "Tobias"]).exists()


def test_the_demo_script_shows_each_kind_of_continuity_warning(seeded: None) -> None:
    project = Project.objects.get(slug="the-lantern-keepers")
    rules = set(
        ContinuityWarning.objects.filter(project=project, active=True).values_list(
            "rule", flat=True
        )
    )
    assert rules == {"two_places", "time_order", "not_in_canon"}
    bible = export(project, "bible-md").content.decode()
    assert "- Episode 3: S1 EXT. SKELLAN HARBOUR - DAWN (DAY 1)" in bible
