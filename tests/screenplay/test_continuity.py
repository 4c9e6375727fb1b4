"""The continuity report: each deterministic rule, dismissal with a reason, re-checks
on change, and the LLM canon check through the fake model server."""

from __future__ import annotations

import asyncio
import threading
from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from agents.runtime import BREAKERS
from brain.commit_hooks import Hook, held_after_commit
from brain.models import Character, Element, Project, Scene, SceneElement
from executions.runners import pipeline_llm
from screenplay.canon import check_canon
from screenplay.continuity import check_project, dismiss, open_warnings
from screenplay.importing import import_script
from screenplay.models import ContinuityWarning
from tests import factories
from tests.executions.test_event_log import counting
from tests.screenplay.helpers import SCRIPTS, script_bytes
from tests.support.fake_llm import FakeLLMServer, json_reply

pytestmark = pytest.mark.django_db(transaction=True)
Rule = ContinuityWarning.Rule
PACKAGE = "screenplay.signals"  # the module of the re-check hook
# A check ends by marking what it no longer finds inactive: one such UPDATE per check.
WARNINGS, ACTIVE = '"screenplay_continuitywarning"', '"active"'


def warnings(project: Project, rule: str) -> list[ContinuityWarning]:
    return list(open_warnings(project).filter(rule=rule))


def scene(project: Project, number: int) -> Scene:
    return Scene.objects.get(episode__project=project, scene_number=number)


@pytest.fixture
def imported(project: Project) -> Project:
    factories.character(project, name="Isla Marr", description="Keeper's daughter")
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    return project


def test_a_character_in_two_places_at_the_same_time_is_warned(imported: Project) -> None:
    [warning] = warnings(imported, Rule.TWO_PLACES)
    assert warning.message.startswith("Steel is at HARBOUR MASTER'S OFFICE and LIGHTHOUSE")
    assert warning.scenes == [
        "E1 S2 (INT. LIGHTHOUSE - LAMP ROOM - DAY)",
        "E1 S3 (INT. HARBOUR MASTER'S OFFICE - SAME TIME)",
    ]
    assert warning.lines == [17, 27]  # where Steel is first named in each


def test_a_time_of_day_out_of_order_within_a_story_day_is_warned(imported: Project) -> None:
    [warning] = warnings(imported, Rule.TIME_ORDER)
    assert "Story day 1: E1 S5 (EXT. CLIFF PATH - MORNING) is MORNING" in warning.message
    assert warning.lines == [32, 39]  # the two headings


def test_a_new_story_day_clears_the_time_order_warning(imported: Project) -> None:
    import_script(imported, script_bytes("pilot_v2.fountain"), "pilot_v2.fountain")
    assert warnings(imported, Rule.TIME_ORDER) == []
    assert ContinuityWarning.objects.filter(rule=Rule.TIME_ORDER, active=False).count() == 1


def test_a_speaker_without_canon_is_warned_until_canon_is_written(imported: Project) -> None:
    names = sorted(w.message.split(" ")[0] for w in warnings(imported, Rule.NOT_IN_CANON))
    assert names == ["Steel", "Tom"]  # Isla Marr has canon
    tom = Character.objects.get(project=imported, name="Tom")
    tom.description = "The harbour master"
    tom.save()  # the save re-checks after commit
    names = sorted(w.message.split(" ")[0] for w in warnings(imported, Rule.NOT_IN_CANON))
    assert names == ["Steel"]


def canon_written(project: Project, name: str) -> list[Hook]:
    """Canon written for a speaker by a caller holding the after-commit work, as a run
    storing its results does; the held work."""
    with held_after_commit() as held:
        character = Character.objects.get(project=project, name=name)
        character.description = "Written since"
        character.save()
    return held


async def test_held_rechecks_queued_while_one_waits_are_one_check_that_sees_each_change(
    imported: Project,
) -> None:
    helds = [await sync_to_async(canon_written)(imported, name) for name in ("Tom", "Steel")]
    rechecks = [hook for held in helds for hook in held if type(hook).__module__ == PACKAGE]
    gate = threading.Event()

    async with counting() as statements:
        busy = asyncio.ensure_future(sync_to_async(gate.wait)())  # the ORM's thread
        queued = [asyncio.ensure_future(recheck.arun()) for recheck in rechecks]
        await asyncio.sleep(0.1)
        gate.set()
        await asyncio.gather(busy, *queued)

    assert len(rechecks) == 2
    checks = [s for s in statements.sql if s.startswith(f"UPDATE {WARNINGS} SET {ACTIVE}")]
    assert len(checks) == 1
    assert await sync_to_async(warnings)(imported, Rule.NOT_IN_CANON) == []

    # Once that check has run, the next change gets a check of its own.
    held = await sync_to_async(canon_written)(imported, "Tom")
    [later] = [hook for hook in held if type(hook).__module__ == PACKAGE]
    async with counting() as statements:
        await later.arun()
    assert len([s for s in statements.sql if s.startswith(f"UPDATE {WARNINGS} SET {ACTIVE}")]) == 1


def test_an_element_used_after_it_was_destroyed_is_warned(imported: Project) -> None:
    lantern = Element.objects.create(project=imported, category="props", name="Lantern")
    SceneElement.objects.create(
        scene=scene(imported, 4), element=lantern, evidence="smashes the lantern",
        line=32, fate="destroyed",
    )  # fmt: skip
    SceneElement.objects.create(
        scene=scene(imported, 5), element=lantern, evidence="the lantern in his hand", line=38
    )
    [warning] = warnings(imported, Rule.USED_AFTER_GONE)
    assert warning.message == (
        "Lantern is needed in E1 S5 (EXT. CLIFF PATH - MORNING) but was destroyed in "
        "E1 S4 (EXT. LIGHTHOUSE - NIGHT)."
    )
    assert warning.lines == [32, 38]


def test_a_dismissed_warning_stays_dismissed_while_the_finding_holds(imported: Project) -> None:
    [warning] = warnings(imported, Rule.TWO_PLACES)
    with pytest.raises(ValueError, match="Say why"):
        dismiss(warning, "  ", None)
    dismiss(warning, "Steel is on the radio in scene 3", None)
    check_project(imported)
    assert warnings(imported, Rule.TWO_PLACES) == []
    warning.refresh_from_db()
    assert warning.active and warning.dismissed_reason == "Steel is on the radio in scene 3"


def test_the_canon_check_reports_contradictions_per_character(
    imported: Project, settings: SettingsWrapper, fake_llm: FakeLLMServer
) -> None:
    settings.ALADDIN_DEFAULT_MODEL = "openai/gpt-4o-mini"
    settings.ALADDIN_LLM_API_BASE = fake_llm.base_url
    settings.ALADDIN_LLM_API_KEY = "test-key"
    BREAKERS.reset()
    isla = Character.objects.get(name="Isla Marr")
    isla.traits = ["gentle", "never breaks things"]
    isla.save()
    fake_llm.script(
        "Name: Isla Marr",
        json_reply(
            {
                "findings": [
                    {
                        "scene": "E1 S4 (EXT. LIGHTHOUSE - NIGHT)",
                        "line": 34,
                        "issue": "Smashing the lantern contradicts 'never breaks things'.",
                    }
                ]
            }
        ),
    )
    check_canon(imported, pipeline_llm(imported))
    [warning] = warnings(imported, Rule.CANON)
    assert warning.message.startswith("Isla Marr: Smashing the lantern")
    assert warning.scenes == ["E1 S4 (EXT. LIGHTHOUSE - NIGHT)"] and warning.lines == [34]
    [request] = fake_llm.requests_matching("Name: Isla Marr")
    assert "line 34: action: Isla smashes the lantern against the rocks." in str(request)


def test_import_with_canon_checks_only_the_added_and_changed_scenes(
    imported: Project, settings: SettingsWrapper, fake_llm: FakeLLMServer
) -> None:
    settings.ALADDIN_DEFAULT_MODEL = "openai/gpt-4o-mini"
    settings.ALADDIN_LLM_API_BASE = fake_llm.base_url
    settings.ALADDIN_LLM_API_KEY = "test-key"
    BREAKERS.reset()
    isla = Character.objects.get(name="Isla Marr")
    isla.traits = ["gentle"]
    isla.save()
    out = StringIO()
    call_command(
        "import_script", "--project", imported.slug, "--canon",
        str(SCRIPTS / "pilot_v2.fountain"), stdout=out,
    )  # fmt: skip
    assert "Canon checked for 3 scenes" in out.getvalue()
    [request] = fake_llm.requests_matching("Name: Isla Marr")
    sent = str(request)
    assert "E1 S2 (INT. LIGHTHOUSE - LAMP ROOM - DAY)" in sent  # changed
    assert "E1 S1 (EXT. HARBOUR - DAWN (DAY 1))" not in sent  # unchanged, not re-checked
