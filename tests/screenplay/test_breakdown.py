"""The breakdown runs through the orchestrator (production department) against the
fake model server; elements become proposals with their evidence line, evidence not
in the scene is flagged, and only confirmed proposals become canon."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from brain.models import Element, Project, SceneElement
from executions.models import Execution
from screenplay.breakdown import decide
from screenplay.importing import import_script
from screenplay.models import BreakdownRun, ContinuityWarning, ElementProposal
from tests.executions.conftest import (
    PLAN,
    by_agent,
    judge_of,
    llm,  # noqa: F401  (fixture)
    plan,
    selection,
    specialist_output,
    verdict,
)
from tests.screenplay.helpers import script_bytes
from tests.support.fake_llm import FakeLLMServer, json_reply

pytestmark = pytest.mark.django_db(transaction=True)

ELEMENTS = "\n".join(
    [
        "ELEMENT | E1S1 | vehicles | Jeep | ISLA hauls a crate off the JEEP. |",
        "ELEMENT | E1S2 | props | Brass lantern | A brass LANTERN hangs on a hook. |",
        "ELEMENT | E1S4 | props | Brass lantern | Isla smashes the lantern against the rocks."
        " | destroyed",
        "ELEMENT | E1S5 | props | Brass lantern | the lantern in his hand |",
        "ELEMENT | E1S1 | animals | Seagull | A seagull screams overhead. |",
    ]
)


@pytest.fixture
def team(seeded: None, llm: FakeLLMServer) -> Iterator[FakeLLMServer]:  # noqa: F811
    llm.script(PLAN, json_reply(plan(("production", 0.9))))
    llm.script(by_agent("production-head-001"), json_reply(selection("scheduler-001")))
    output = specialist_output("BREAKDOWN-LIST")
    output["content"] = ELEMENTS
    llm.script(by_agent("scheduler-001"), json_reply(output))
    llm.script(judge_of("BREAKDOWN-LIST"), json_reply(verdict(90)))
    yield llm


def test_a_breakdown_run_proposes_elements_with_their_evidence_lines(
    project: Project, team: FakeLLMServer
) -> None:
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    out = StringIO()
    call_command("script_breakdown", "--project", project.slug, stdout=out)
    run = BreakdownRun.objects.get(project=project)
    assert run.status == "collected" and run.execution is not None
    assert run.execution.status == Execution.Status.COMPLETED
    assert team.requests_matching("ELEMENT | <scene tag>")  # the team got the scenes
    found = {
        (p.scene.scene_number, p.category, p.name, p.status, p.line, p.fate)
        for p in run.proposals.select_related("scene")
    }
    assert found == {
        (1, "vehicles", "Jeep", "pending", 6, ""),
        (2, "props", "Brass lantern", "pending", 17, ""),
        (4, "props", "Brass lantern", "pending", 34, "destroyed"),
        (5, "props", "Brass lantern", "pending", 41, ""),
        (1, "animals", "Seagull", "flagged", None, ""),
    }
    assert "5 elements proposed" in out.getvalue() and "[flagged]" in out.getvalue()
    assert not Element.objects.filter(project=project).exists()  # nothing is canon yet


def test_confirmed_elements_become_canon_and_flagged_ones_never_do(
    project: Project, team: FakeLLMServer
) -> None:
    import_script(project, script_bytes("pilot.fountain"), "pilot.fountain")
    call_command("script_breakdown", "--project", project.slug, stdout=StringIO())
    proposals = ElementProposal.objects.filter(run__project=project)
    confirmed = decide(proposals.filter(category="props"), confirm=True, user_id=None)
    assert confirmed == 3
    assert decide(proposals.filter(name="Seagull"), confirm=True, user_id=None) == 0
    decide(proposals.filter(name="Jeep"), confirm=False, user_id=None)
    assert list(Element.objects.filter(project=project).values_list("name", flat=True)) == [
        "Brass lantern"
    ]
    assert SceneElement.objects.filter(element__project=project).count() == 3
    # The confirmed breakdown says the lantern was destroyed in 4 and used in 5.
    warning = ContinuityWarning.objects.get(project=project, rule="used_after_gone")
    assert warning.lines == [34, 41]
